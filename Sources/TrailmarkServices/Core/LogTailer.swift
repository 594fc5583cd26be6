import Dispatch
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
    ///
    /// Two stages on two threads: while the engine applies chunk k (on this thread, in seq
    /// order), the next chunk is read and decoded on another (`concurrentPerform`). The
    /// engine still sees exactly the log's order; only decoding runs ahead.
    private func replay() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let target = log.committedEnd
        let first = log.firstSeq
        var lastReport = start
        var bytes = 0
        var next = max(progress.indexedEnd, first)
        logger.info("replay: starting", metadata: ["records": "\(target - min(first, target))"])
        var ready = try decodeChunk(from: next, until: target)
        while !ready.records.isEmpty {
            let current = ready
            let stages = ReplayStages()
            DispatchQueue.concurrentPerform(iterations: 2) { stage in
                if stage == 0 {
                    stages.decoded.withLock { $0 = Result { try self.decodeChunk(from: current.end, until: target) } }
                } else {
                    stages.applied.withLock { $0 = Result { for (seq, record) in current.records { try self.apply(record, seq: seq) } } }
                }
            }
            try stages.applied.withLock { $0 }?.get()
            ready = try stages.decoded.withLock { $0 }?.get() ?? DecodedChunk(end: current.end)
            next = current.end
            bytes += current.payloadBytes
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
        // Records dropped by compaction may leave the last seqs empty: skip past them.
        next = max(next, ready.end)
        progress.advance(to: next)
        let seconds = Self.seconds(clock.now - start)
        logger.info("replay: done, \(next - first) records, \(Self.format(Double(bytes) / 1e6)) MB in \(Self.format(seconds)) s")
        progress.markReplayed()
    }

    /// Reads and decodes up to 16 records or 8 MiB of payload from `seq` (before `target`).
    private func decodeChunk(from seq: UInt64, until target: UInt64) throws -> DecodedChunk {
        var chunk = DecodedChunk(end: seq)
        guard seq < target else { return chunk }
        chunk.end = try log.read(from: seq, maxRecords: 16) { seq, kind, payload in
            guard seq < target, chunk.payloadBytes < 8 << 20 else { return }
            chunk.payloadBytes += payload.byteCount
            chunk.records.append((seq, try DecodedRecord(kind: kind, payload: payload)))
        }
        if let last = chunk.records.last { chunk.end = min(chunk.end, last.seq + 1) }
        return chunk
    }

    /// Applies live records; event batches are indexed from their bytes in the mapped log
    /// (`EventEngine.ingest(storedEventBatch:recordSeq:)`), with no copy and no `Event`.
    private func apply(from next: UInt64, maxRecords: Int) throws {
        let end = try log.read(from: next, maxRecords: maxRecords) { seq, kind, payload in
            if kind == .eventBatch {
                try payload.withUnsafeBytes { try self.applyEvents($0, seq: seq) }
            } else {
                try self.apply(DecodedRecord(kind: kind, payload: payload), seq: seq)
            }
        }
        progress.advance(to: end)
    }

    /// Indexes the event batch record `seq` from its payload. (Untyped `throws`: a closure
    /// of typed throws passed to `RawSpan.withUnsafeBytes` crashes Swift 6.3.1's IRGen.)
    private func applyEvents(_ payload: UnsafeRawBufferPointer, seq: UInt64) throws {
        progress.addEvents(try engine.ingest(storedEventBatch: payload, recordSeq: seq).accepted)
    }

    /// Applies one decoded record to the engine.
    private func apply(_ record: DecodedRecord, seq: UInt64) throws {
        switch record {
        case .events(let payload):
            try payload.withUnsafeBytes { try applyEvents($0, seq: seq) }
        case .identifies(let batch):
            engine.ingest(batch, recordSeq: seq)
            progress.addEvents(batch.identifies.count)
        case .forget(let record):
            let outcome = engine.forget(record, recordSeq: seq)
            forgets.record(seq: seq, hidden: outcome.hidden)
            maintenance.forgetApplied(tombstone: seq, erasedSeqs: outcome.erasedSeqs)
        case .other(let kind):
            logger.debug("log tailer: skipping record \(seq) of kind \(kind)")
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

/// The two replay stages' results for one step (each written by its own stage).
private final class ReplayStages: Sendable {
    let decoded = Mutex<Result<DecodedChunk, any Error>?>(nil)
    let applied = Mutex<Result<Void, any Error>?>(nil)
}
