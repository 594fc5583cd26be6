import Dispatch
import Logging
import Synchronization
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Background upkeep of the log, owned by the hub and run beside the tailer:
///
/// - **Forget erasure** (API.md: "compaction removes them from disk"). The tailer hands over
///   every applied tombstone with the seqs of the events and identifies it deleted. Once
///   the oldest waiting tombstone is `forgetEraseDelay` old (forgets are batched), the log's
///   tail is sealed and one atomic `rewrite(records:)` replaces each affected record with
///   its forgotten slots erased (`ErasedSlots`) and drops the tombstones themselves, so
///   neither the user's ids nor its properties stay on disk. Until a pass succeeds the
///   tombstones stay in the log: after a crash, replay re-applies them and the next pass
///   erases again (idempotent: erased slots are skipped).
/// - **Retention**: every `retentionInterval`, `enforceRetention()` when a limit is set.
///
/// Blocking file I/O runs on a Dispatch queue, never on the concurrency pool's threads.
/// State: `pending` (a mutex) is the only mutable state; the tailer enqueues, `run` takes.
final class LogMaintenance: Sendable {
    struct Configuration: Sendable {
        /// How long the oldest waiting forget waits before an erasure pass (batches forgets).
        var forgetEraseDelay: Duration = .seconds(300)
        /// How often retention limits are enforced (when any is configured).
        var retentionInterval: Duration = .seconds(60)
        /// How often the loop wakes to check.
        var tick: Duration = .milliseconds(250)
    }

    private struct Pending {
        var tombstones: Set<UInt64> = []
        var slots: Set<UInt64> = []
        var oldest: ContinuousClock.Instant?
    }

    let log: SegmentLog
    let configuration: Configuration
    let logger: Logger
    let metrics: ServiceMetrics
    /// The engine's record reader, whose decoded records a rewrite makes stale.
    let records: LogRecordFetcher?
    /// The engine's `event_id` fingerprint, which erased event slots keep.
    let fingerprint: EventIDFingerprint
    private let pending = Mutex(Pending())
    private let queue = DispatchQueue(label: "trailmark.maintenance", qos: .utility)

    init(log: SegmentLog, configuration: Configuration, logger: Logger, metrics: ServiceMetrics, fingerprint: EventIDFingerprint, records: LogRecordFetcher? = nil) {
        self.log = log
        self.fingerprint = fingerprint
        self.records = records
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// Called by the tailer after it applied the forget tombstone `seq`.
    func forgetApplied(tombstone seq: UInt64, erasedSeqs: [UInt64]) {
        let count = pending.withLock { p in
            p.tombstones.insert(seq)
            p.slots.formUnion(erasedSeqs)
            if p.oldest == nil { p.oldest = .now }
            return p.tombstones.count
        }
        metrics.forgetsPending.record(Double(count))
    }

    /// Tombstones applied but not yet erased from disk.
    var forgetsPending: Int { pending.withLock { $0.tombstones.count } }

    /// Loops until cancelled.
    func run() async {
        let clock = ContinuousClock()
        var lastRetention = clock.now
        let retains = log.configuration.retention.ageMax != nil || log.configuration.retention.totalBytesMax != nil
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.tick)
            } catch {
                return
            }
            let due = pending.withLock { p in p.oldest.map { clock.now - $0 >= configuration.forgetEraseDelay } ?? false }
            if due {
                do {
                    try await eraseForgotten()
                } catch let error as StorageError where error.code == .closed {
                    return
                } catch {
                    logger.error("forget erasure failed; retrying later", metadata: ["error": "\(error)"])
                    pending.withLock { $0.oldest = .now }
                }
            }
            if retains && clock.now - lastRetention >= configuration.retentionInterval {
                lastRetention = clock.now
                do {
                    _ = try await blocking { try self.log.enforceRetention() }
                } catch {
                    logger.error("retention failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// One erasure pass over everything pending now (see the type's comment).
    func eraseForgotten() async throws {
        let (tombstones, slots) = pending.withLock { ($0.tombstones, $0.slots) }
        guard !tombstones.isEmpty else { return }
        _ = try await log.sealTail()
        let records = tombstones.union(slots.lazy.map { $0 >> StoredEventBatch.indexBits })
        let fingerprint = self.fingerprint
        let report: CompactionReport
        do {
            report = try await blocking {
                try self.log.rewrite(records: records) { seq, kind, payload in
                    try LogMaintenance.erase(seq: seq, kind: kind, payload: payload, tombstones: tombstones, slots: slots, fingerprint: fingerprint)
                }
            }
        } catch {
            // A failed pass may still have replaced segments before it threw.
            self.records?.invalidate()
            throw error
        }
        // Decoded copies of the rewritten records must not outlive them.
        self.records?.invalidate()
        let left = pending.withLock { p in
            p.tombstones.subtract(tombstones)
            p.slots.subtract(slots)
            p.oldest = p.tombstones.isEmpty ? nil : .now
            return p.tombstones.count
        }
        metrics.forgetsPending.record(Double(left))
        metrics.forgetSlotsErased.increment(by: Int64(slots.count))
        logger.info("forget: erased from disk", metadata: [
            "forgets": "\(tombstones.count)", "slots": "\(slots.count)",
            "segments": "\(report.rewrittenSegments.count)", "bytesReclaimed": "\(report.bytesReclaimed)",
        ])
    }

    /// The rewrite of one selected record: tombstones go, batches lose their erased slots.
    static func erase(seq: UInt64, kind: RecordKind, payload: RawSpan, tombstones: Set<UInt64>, slots: Set<UInt64>, fingerprint: EventIDFingerprint) throws -> RecordRewrite {
        if tombstones.contains(seq) { return .drop }
        return try payload.withUnsafeBytes { bytes in
            switch kind {
            case .eventBatch:
                let batch = try StoredEventBatch(decoding: bytes, limits: .logRecords)
                return ErasedSlots.erase(batch, recordSeq: seq, seqs: slots, fingerprint: fingerprint).map { .replace($0.encoded()) } ?? .keep
            case .identifyBatch:
                let batch = try StoredIdentifyBatch(decoding: bytes, limits: .logRecords)
                return ErasedSlots.erase(batch, recordSeq: seq, seqs: slots).map { .replace($0.encoded()) } ?? .keep
            default:
                return .keep
            }
        }
    }

    /// Runs blocking file I/O on the maintenance queue.
    private func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
