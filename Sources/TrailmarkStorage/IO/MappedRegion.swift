import Glibc

/// A MAP_SHARED memory mapping of a whole file, unmapped when the object goes away.
///
/// Invariants: `bytes` covers exactly `[0, count)` of the file and stays valid for the
/// object's whole life (so anyone holding a reference may read it, even after the file was
/// unlinked or replaced by rename); only recovery writes through a writable mapping (zeroing
/// a torn tail, before the log is shared; the writer appends with `pwrite`, see
/// `RecordStager`), and readers read only bytes published to them by the committed watermark.
/// `@unchecked Sendable`: the pointer is immutable; concurrent access to the bytes it points
/// at follows the single-writer / watermark protocol described in `SegmentLog`.
final class MappedRegion: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int
    let writable: Bool

    /// Maps `count` bytes of `file` from offset 0.
    init(file: FileDescriptor, count: Int, writable: Bool) throws(StorageError) {
        precondition(count > 0, "cannot map an empty file")
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        let pointer = mmap(nil, count, protection, MAP_SHARED, file.raw, 0)
        guard let pointer, pointer != MAP_FAILED else { throw SystemCall.error("mmap", path: file.path) }
        base = pointer
        self.count = count
        self.writable = writable
        // Recovery and readers walk segments front to back.
        _ = madvise(pointer, count, MADV_SEQUENTIAL)
    }

    deinit { munmap(base, count) }

    /// The whole mapping, read-only.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
