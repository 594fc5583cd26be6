import Synchronization

/// Counters of the log writer since the log was opened: how appends were grouped and made
/// durable (`docs/STORAGE.md` § Write path). For metrics and the benchmark's like-for-like
/// anchor; a snapshot, each counter read on its own.
public struct WriteStatistics: Hashable, Sendable {
    /// Write groups committed (acknowledged); one durability point each.
    public var groups: UInt64 = 0
    /// Records committed.
    public var records: UInt64 = 0
    /// Bytes committed to segments (headers, payloads and padding).
    public var bytes: UInt64 = 0
    /// `fdatasync` calls made for groups (0 with durability `.none`).
    public var syncs: UInt64 = 0

    public init() {}
}

/// The writer's side of `WriteStatistics`: relaxed atomics written by the writer thread only.
final class WriteCounters: Sendable {
    private let groups = Atomic<UInt64>(0)
    private let records = Atomic<UInt64>(0)
    private let bytes = Atomic<UInt64>(0)
    private let syncs = Atomic<UInt64>(0)

    init() {}

    /// Writer thread: a group of `records` records and `bytes` bytes was committed.
    func committed(records: Int, bytes: Int) {
        groups.add(1, ordering: .relaxed)
        self.records.add(UInt64(records), ordering: .relaxed)
        self.bytes.add(UInt64(bytes), ordering: .relaxed)
    }

    /// Writer thread: one `fdatasync` was made.
    func synced() { syncs.add(1, ordering: .relaxed) }

    var snapshot: WriteStatistics {
        var statistics = WriteStatistics()
        statistics.groups = groups.load(ordering: .relaxed)
        statistics.records = records.load(ordering: .relaxed)
        statistics.bytes = bytes.load(ordering: .relaxed)
        statistics.syncs = syncs.load(ordering: .relaxed)
        return statistics
    }
}
