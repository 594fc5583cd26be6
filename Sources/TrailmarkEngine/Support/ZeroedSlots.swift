import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A fixed-size table of `UInt64` slots, all zero when made, for `EventIDSet`.
///
/// Allocated with `calloc`: a large table comes straight from fresh anonymous memory, which
/// the kernel zeroes page by page on first touch, so making a table of hundreds of MB
/// writes nothing and its zeroing is spread over the inserts that first touch each page
/// (`SlotTable.zeroed` writes every slot up front, which for the event-id set meant tens of
/// ms under the project lock). Small pages: see `SlotTable` for why not huge ones.
///
/// Invariants (the only unsafe code of the set): `base` points at `count` initialised
/// slots owned by this object and freed in `deinit`; every access is checked against
/// `count` by the caller's index arithmetic (`EventIDSet` indexes with `home(_:_:)` and
/// wraps at `count`). Mutated only by the set that owns it, under the project lock; a set
/// copies the table before writing when it is shared (`isKnownUniquelyReferenced`).
final class ZeroedSlots: @unchecked Sendable {  // @unchecked: mutated only under the project lock, copied on write when shared.
    let count: Int
    let base: UnsafeMutablePointer<UInt64>

    init(count: Int) {
        precondition(count > 0, "an empty slot table")
        let bytes = count * MemoryLayout<UInt64>.stride
        guard let raw = calloc(count, MemoryLayout<UInt64>.stride) else { fatalError("out of memory for \(bytes) bytes of event-id slots") }  // fatalError: nothing to recover with
        base = raw.bindMemory(to: UInt64.self, capacity: count)
        self.count = count
        if bytes >= SlotTable.prefaultBytes { prefault(bytes: bytes) }
    }

    /// Faults the table's pages in on a background thread (`MADV_POPULATE_WRITE`, Linux
    /// 5.14+), so the inserts that first write them, under the project lock, find them
    /// mapped, and the thousands of page faults of a large table are not paid by ingest
    /// calls holding the lock. The call maps zeroed pages
    /// without writing the memory, so it cannot race with the set's own writes (the kernel
    /// serialises faults on a page); a kernel without it answers EINVAL and nothing changes.
    /// The closure keeps the object, so the memory outlives the call.
    private func prefault(bytes: Int) {
        #if canImport(Glibc)
        DispatchQueue.global(qos: .utility).async { [self] in
            _ = madvise(UnsafeMutableRawPointer(base), bytes, 23)  // 23 = MADV_POPULATE_WRITE (not imported)
        }
        #endif
    }

    deinit { free(base) }

    @inline(__always)
    subscript(i: Int) -> UInt64 {
        get {
            assert(i >= 0 && i < count, "slot index out of range")
            return base[i]
        }
        set {
            assert(i >= 0 && i < count, "slot index out of range")
            base[i] = newValue
        }
    }

    /// A copy with the same slots.
    func copy() -> ZeroedSlots {
        let c = ZeroedSlots(count: count)
        c.base.update(from: base, count: count)
        return c
    }
}
