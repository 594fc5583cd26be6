import Logging
import Synchronization
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Feeds the engine from the committed log: first the start-up replay of everything
/// already on disk (with a progress line at least every 2 s), then, for as long as the
/// server runs, every record as soon as group commit makes it durable.
///
/// Single consumer: only this loop calls the engine's `ingest`/`forget`, in seq order, so
/// the engine sees exactly the log's order on every start (SEMANTICS §2 ties by seq).
final class LogTailer: Sendable {
    let log: SegmentLog
    let engine: EventEngine
    let progress: IndexProgress
    let forgets: ForgetLedger
    let maintenance: LogMaintenance
    let logger: Logger
    let metrics: ServiceMetrics

    init(log: SegmentLog, engine: EventEngine, progress: IndexProgress, forgets: ForgetLedger, maintenance: LogMaintenance, logger: Logger, metrics: ServiceMetrics) {
        self.log = log
        self.engine = engine
        self.progress = progress
        self.forgets = forgets
        self.maintenance = maintenance
        self.logger = logger
        self.metrics = metrics
    }

    /// Replays, then tails until the log closes or the task is cancelled.
    func run() async {
        do {
            try replay()
            while !Task.isCancelled {
                let next = progress.indexedEnd
                _ = try await log.waitForCommit(past: next)
                try apply(from: next, maxRecords: 4096)
            }
        } catch let error as StorageError where error.code == .closed {
            logger.debug("log tailer stopped: log closed")
        } catch is CancellationError {
            logger.debug("log tailer cancelled")
        } catch {
            logger.critical("log tailer stopped: \(error)")
        }
        progress.close()
    }

    /// Applies everything committed at start, reporting records, MB/s and ETA every 2 s.
    private func replay() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let target = log.committedEnd
        let first = log.firstSeq
        var lastReport = start
        var bytes = 0
        var next = max(progress.indexedEnd, first)
        logger.info("replay: starting", metadata: ["records": "\(target - min(first, target))"])
        while next < target {
            next = try log.read(from: next, maxRecords: 8192) { seq, kind, payload in
                bytes += payload.byteCount
                try self.applyRecord(seq: seq, kind: kind, payload: payload)
            }
            progress.advance(to: next)
            metrics.replayProgress(done: next - first, total: target - first)
            let now = clock.now
            if now - lastReport >= .seconds(2) {
                lastReport = now
                let seconds = Self.seconds(now - start)
                let done = Double(next - first)
                let rate = done / max(seconds, 1e-9)
                let eta = rate > 0 ? Double(target - next) / rate : 0
                logger.info("replay: \(next - first)/\(target - first) records, \(Self.format(Double(bytes) / 1e6 / max(seconds, 1e-9))) MB/s, ETA \(Self.format(eta)) s")
            }
        }
        let seconds = Self.seconds(clock.now - start)
        logger.info("replay: done, \(next - first) records, \(Self.format(Double(bytes) / 1e6)) MB in \(Self.format(seconds)) s")
        progress.markReplayed()
    }

    private func apply(from next: UInt64, maxRecords: Int) throws {
        let end = try log.read(from: next, maxRecords: maxRecords) { seq, kind, payload in
            try self.applyRecord(seq: seq, kind: kind, payload: payload)
        }
        progress.advance(to: end)
    }

    /// Decodes one record and applies it to the engine. A record that does not decode is
    /// corruption the CRC did not catch (or a newer writer): stop rather than skip it.
    private func applyRecord(seq: UInt64, kind: RecordKind, payload: RawSpan) throws {
        try payload.withUnsafeBytes { bytes in
            switch kind {
            case .eventBatch:
                let batch = try StoredEventBatch(decoding: bytes, limits: .logRecords)
                progress.addEvents(engine.ingest(batch, recordSeq: seq).accepted)
            case .identifyBatch:
                let batch = try StoredIdentifyBatch(decoding: bytes, limits: .logRecords)
                engine.ingest(batch, recordSeq: seq)
                progress.addEvents(batch.identifies.count)
            case .forget:
                let record = try StoredForget(decoding: bytes, limits: .logRecords)
                let outcome = engine.forget(record, recordSeq: seq)
                forgets.record(seq: seq, hidden: outcome.hidden)
                maintenance.forgetApplied(tombstone: seq, erasedSeqs: outcome.erasedSeqs)
            default:
                logger.debug("log tailer: skipping record \(seq) of kind \(kind)")
            }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func format(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return "\(r)"
    }
}

/// Results of applied forget tombstones, kept until the request that appended them reads
/// them (bounded: entries older than the newest 4,096 are dropped).
final class ForgetLedger: Sendable {
    private let results = Mutex<[UInt64: UInt64]>([:])

    func record(seq: UInt64, hidden: UInt64) {
        results.withLock { r in
            r[seq] = hidden
            if r.count > 4096, let oldest = r.keys.min() { r[oldest] = nil }
        }
    }

    func take(seq: UInt64) -> UInt64? {
        results.withLock { $0.removeValue(forKey: seq) }
    }
}
