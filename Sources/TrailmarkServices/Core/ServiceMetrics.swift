import CoreMetrics
import Metrics
import TrailmarkStorage

/// Every metric the services export (Prometheus text at `/metrics` once the executable
/// bootstraps swift-prometheus). Names follow Prometheus conventions: unit suffixes,
/// `_total` on counters.
public struct ServiceMetrics: Sendable {
    let eventsAccepted = Counter(label: "trailmark_events_accepted_total")
    let eventsDuplicate = Counter(label: "trailmark_events_duplicate_total")
    let eventsRejected = Counter(label: "trailmark_events_rejected_total")
    let identifiesAccepted = Counter(label: "trailmark_identifies_accepted_total")
    let replayRecordsDone = Gauge(label: "trailmark_replay_records_done")
    let replayRecordsTotal = Gauge(label: "trailmark_replay_records_total")
    let engineBytes = Gauge(label: "trailmark_engine_memory_bytes")
    let engineEvents = Gauge(label: "trailmark_engine_events")
    let forgetsPending = Gauge(label: "trailmark_forgets_pending_erasure")
    let forgetSlotsErased = Counter(label: "trailmark_forget_slots_erased_total")
    let appendLatency = Timer(label: "trailmark_append_durable_seconds", preferredDisplayUnit: .seconds)
    let fsyncLatency = Timer(label: "trailmark_log_fsync_seconds", preferredDisplayUnit: .seconds)
    let groupRecords = Recorder(label: "trailmark_log_group_records", aggregate: true)
    let groupBytes = Counter(label: "trailmark_log_written_bytes_total")
    let ringDepth = Gauge(label: "trailmark_log_ring_depth")

    public init() {}

    /// Counts one finished request by method (RPC path or HTTP route) and status.
    public func request(method: String, status: String) {
        Counter(label: "trailmark_requests_total", dimensions: [("method", method), ("status", status)]).increment()
    }

    /// Records one group commit of the log (called on the log's writer thread).
    func groupCommitted(_ group: GroupCommit) {
        ringDepth.record(Double(group.requests))
        groupRecords.record(group.records)
        groupBytes.increment(by: Int64(group.bytes))
        if let seconds = group.syncSeconds { fsyncLatency.recordNanoseconds(Int64(seconds * 1e9)) }
    }

    func replayProgress(done: UInt64, total: UInt64) {
        replayRecordsDone.record(Double(done))
        replayRecordsTotal.record(Double(total))
    }
}
