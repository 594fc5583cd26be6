import Glibc
import Synchronization

/// One segment file of the log, memory-mapped whole (`docs/STORAGE.md` § Segment).
///
/// Invariants: `region` maps the entire file for the object's life (readers holding a
/// reference may keep reading after retention unlinked or compaction replaced the file);
/// records start at `SegmentHeader.byteCount`; the log writer writes the file with `pwrite`
/// (`RecordStager`), so a new segment is mapped read-only; only recovery, before the log is
/// shared, writes through a (writable) mapping. A sealed segment (`file == nil`) is never
/// written or synced again, so it keeps no file descriptor: a log of any size holds one
/// descriptor (the tail's) plus its mappings.
/// `@unchecked Sendable`: all stored properties are immutable except `index`, which is
/// behind a mutex; the mapped bytes follow the single-writer / watermark protocol.
final class Segment: @unchecked Sendable {
    let name: String
    /// The file's full path, for messages.
    let path: String
    let header: SegmentHeader
    /// The open file while the segment may still be written and synced; nil once sealed.
    let file: FileDescriptor?
    let region: MappedRegion
    private let index: Mutex<SparseIndex>

    var baseSeq: UInt64 { header.baseSeq }
    var byteCount: Int { region.count }
    static var dataStart: Int { SegmentHeader.byteCount }

    private init(name: String, path: String, header: SegmentHeader, file: FileDescriptor?, region: MappedRegion, index: SparseIndex) {
        self.name = name
        self.path = path
        self.header = header
        self.file = file
        self.region = region
        self.index = Mutex(index)
    }

    private convenience init(name: String, header: SegmentHeader, file: FileDescriptor, region: MappedRegion, indexIntervalBytes: Int) {
        self.init(name: name, path: file.path, header: header, file: file, region: region,
                  index: SparseIndex(intervalBytes: indexIntervalBytes, segmentBytes: region.count))
    }

    /// The same segment (same mapping and index) without its file descriptor, for once it
    /// will never be written or synced again.
    func sealed() -> Segment {
        guard file != nil else { return self }
        return Segment(name: name, path: path, header: header, file: nil, region: region, index: index.withLock { $0 })
    }

    /// Makes the segment's data durable (see `LogWriter.syncTouched`). A sealed segment has
    /// nothing left to sync.
    func syncData() throws(StorageError) {
        try file?.syncData()
    }

    /// Creates, preallocates and maps a new empty segment; its header and directory entry
    /// are durable when this returns (so a crash leaves either no file or a valid header).
    static func create(in directory: Directory, baseSeq: UInt64, bytes: Int, indexIntervalBytes: Int) throws(StorageError) -> Segment {
        let name = SegmentHeader.fileName(baseSeq: baseSeq)
        let path = directory.file(name)
        let file = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT | O_EXCL)
        try file.preallocate(bytes: bytes)
        let header = SegmentHeader(baseSeq: baseSeq, fileBytes: UInt64(bytes), createdMillis: SystemCall.nowMillis())
        try file.write(header.encoded(), at: 0)
        try file.syncData()
        try directory.sync()
        let region = try MappedRegion(file: file, count: bytes, writable: false) // appends use pwrite
        return Segment(name: name, header: header, file: file, region: region, indexIntervalBytes: indexIntervalBytes)
    }

    /// Maps an existing segment file. `header` is nil when the file's header is invalid
    /// (the caller decides whether that is a torn creation or corruption); such a file is
    /// still mapped so its bytes can be scanned.
    static func open(in directory: Directory, name: String, writable: Bool, indexIntervalBytes: Int)
        throws(StorageError) -> (segment: Segment?, rawRegion: MappedRegion?, file: FileDescriptor)
    {
        let path = directory.file(name)
        let file = try FileDescriptor.open(path, flags: writable ? O_RDWR : O_RDONLY)
        let size = try file.size()
        guard size > 0 else { return (nil, nil, file) }
        let region = try MappedRegion(file: file, count: size, writable: writable)
        switch SegmentHeader.decode(region.bytes) {
        case .success(let header):
            let segment = Segment(name: name, header: header, file: file, region: region, indexIntervalBytes: indexIntervalBytes)
            return (segment, region, file)
        case .failure(let error) where error.code == .unsupportedFormat:
            throw StorageError(.unsupportedFormat, "\(path): \(error.message)")
        case .failure:
            return (nil, region, file)
        }
    }

    /// Wraps an already-open file and mapping with a known-good header (compaction output).
    static func adopt(name: String, header: SegmentHeader, file: FileDescriptor, region: MappedRegion, indexIntervalBytes: Int) -> Segment {
        Segment(name: name, header: header, file: file, region: region, indexIntervalBytes: indexIntervalBytes)
    }

    /// Validates the record at `offset` (see `RecordHeader.validate`).
    func record(at offset: Int) -> Result<RecordHeader, RecordHeader.Invalid> {
        RecordHeader.validate(in: region.bytes, at: offset)
    }

    /// The payload bytes of a validated record at `offset`.
    func payload(at offset: Int, header: RecordHeader) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: region.base + offset + RecordHeader.byteCount, count: Int(header.payloadBytes))
    }

    /// Notes a record in the sparse index if it starts a new interval.
    func indexRecord(seq: UInt64, offset: Int) {
        index.withLock { $0.add(seq: seq, offset: offset) }
    }

    /// Where to start scanning for `seq`: an indexed offset at or before it, or the first record.
    func scanStart(for seq: UInt64) -> Int {
        index.withLock { $0.offset(atOrBefore: seq) } ?? Self.dataStart
    }

    var indexEntryCount: Int { index.withLock { $0.count } }
}
