import Logging

/// How the segment log is laid out, made durable, bounded and recovered.
///
/// Every limit has its unit last in its name. Defaults are the production settings; tests
/// shrink `segmentBytes` to exercise rolls.
public struct LogConfiguration: Sendable {
    /// When an append is acknowledged relative to the data reaching stable storage.
    public struct Durability: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable { case group, none }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Group commit (default): the writer appends everything waiting, makes it durable
        /// with one `fdatasync` per touched segment, then acknowledges every producer in the
        /// group. An acknowledged record survives a crash.
        public static let group = Durability(.group)
        /// Acknowledge once written to the mapping, never sync. **Benchmarks only**: a crash
        /// (of the machine, not just the process) can lose acknowledged records. Opening a log
        /// in this mode logs a warning.
        public static let none = Durability(.none)

        public var description: String { wrapped.rawValue }
    }

    /// When whole sealed segments are deleted (`SegmentLog.enforceRetention`). The tail
    /// segment is never deleted.
    public struct Retention: Hashable, Sendable {
        /// Delete a sealed segment once its last record is older than this (nil: no age limit).
        /// A segment's age counts from when the writer sealed it (the next segment's creation).
        public var ageMax: Duration?
        /// Delete the oldest sealed segments while all segment files together exceed this
        /// many bytes (nil: no size limit).
        public var totalBytesMax: Int?

        public init(ageMax: Duration? = nil, totalBytesMax: Int? = nil) {
            self.ageMax = ageMax
            self.totalBytesMax = totalBytesMax
        }
    }

    /// Size every segment file is preallocated to, in bytes (default 64 MiB; a multiple of
    /// 4096 in 64 KiB...4 GiB).
    /// A record's payload may be at most `segmentBytes - 88` bytes.
    public var segmentBytes: Int = 64 << 20
    /// Default `.group`.
    public var durability: Durability = .group
    /// Default: keep everything.
    public var retention = Retention()
    /// On corruption, keep the good prefix and move the rest to `*.corrupt` files instead of
    /// refusing to open (the CLI's `--repair`). Default false.
    public var repair = false
    /// Slots in the producer→writer ring; a power of two (default 4096).
    public var ringCapacity = 4096
    /// How long a producer waits for ring space before failing with `overloaded`
    /// (default 2 s).
    public var producerDeadline: Duration = .seconds(2)
    /// Bytes of records between two sparse-index entries (default 64 KiB).
    public var indexIntervalBytes = 64 << 10
    /// Most records in one `append(_:)` batch (default 65,536).
    public var batchRecordsMax = 65_536
    /// Called on the writer thread after each acknowledged group commit, for metrics (ring
    /// depth, group size, sync latency). Must be cheap and must not block.
    public var groupCommitted: (@Sendable (GroupCommit) -> Void)?
    /// Where recovery findings and the `.none` warning go.
    public var logger = Logger(label: "trailmark.storage")

    /// Tests only: called on the writer thread before each group is written (lets a test
    /// hold the writer to fill the ring deterministically).
    var writerWillCommitForTesting: (@Sendable () -> Void)?
    /// Tests only: called before each rename of a multi-segment compaction with the number
    /// renamed so far; throwing simulates a crash after the commit point.
    var compactionWillRenameForTesting: (@Sendable (Int) throws -> Void)?

    public init() {}

    /// The largest payload one record can carry with this segment size.
    public var recordPayloadBytesMax: Int {
        min(segmentBytes - SegmentHeader.byteCount - RecordHeader.byteCount, Int(UInt32.max))
    }

    /// Checks every value, naming the field that is out of range.
    func validate() throws(StorageError) {
        guard segmentBytes >= 64 << 10, segmentBytes <= 4 << 30, segmentBytes % 4096 == 0 else {
            throw StorageError(.invalidArgument, "segmentBytes must be a multiple of 4096 in 65536...4294967296, got \(segmentBytes)")
        }
        guard ringCapacity >= 2, ringCapacity <= 1 << 20, ringCapacity & (ringCapacity - 1) == 0 else {
            throw StorageError(.invalidArgument, "ringCapacity must be a power of two in 2...1048576, got \(ringCapacity)")
        }
        guard indexIntervalBytes >= 4096 else {
            throw StorageError(.invalidArgument, "indexIntervalBytes must be at least 4096, got \(indexIntervalBytes)")
        }
        guard batchRecordsMax >= 1, batchRecordsMax <= 1 << 20 else {
            throw StorageError(.invalidArgument, "batchRecordsMax must be in 1...1048576, got \(batchRecordsMax)")
        }
        guard producerDeadline > .zero else {
            throw StorageError(.invalidArgument, "producerDeadline must be positive, got \(producerDeadline)")
        }
        if let size = retention.totalBytesMax, size < segmentBytes {
            throw StorageError(.invalidArgument, "retention.totalBytesMax (\(size)) must be at least segmentBytes (\(segmentBytes))")
        }
    }
}

/// One acknowledged write group, as `LogConfiguration.groupCommitted` reports it.
public struct GroupCommit: Sendable {
    /// Append requests the writer took from the ring (and waitroom) for the group: the
    /// ring's depth when the writer came round.
    public var requests: Int
    /// Records and bytes (headers and padding included) the group committed.
    public var records: Int
    public var bytes: Int
    /// Time of the group's `fdatasync` calls; nil with durability `.none`.
    public var syncSeconds: Double?
}
