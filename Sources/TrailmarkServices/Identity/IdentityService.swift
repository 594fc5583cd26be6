import Logging
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Accepts identify calls and forget requests (SEMANTICS §1, API.md).
///
/// An identify batch is validated all-or-nothing (both ids non-empty), stamped with its
/// received time and timestamped (missing = received time; skew-corrected like events),
/// appended as one log record and acknowledged once durable; the engine derives each call's
/// `$identify` event when it indexes the record. A forget appends a tombstone and answers once the engine has applied
/// it, so no query after the acknowledgement returns the user's data.
///
/// Owns: nothing but its configuration; the anonymous id → user map is the engine's index
/// of the identify records this service writes (ARCHITECTURE.md "who owns what").
public actor IdentityService {
    private let log: SegmentLog
    private let progress: IndexProgress
    private let forgets: ForgetLedger
    private let validator: EventValidator
    private let skew: ClockSkew
    private let now: @Sendable () -> Int64
    private let metrics: ServiceMetrics
    private let logger: Logger

    init(
        log: SegmentLog, progress: IndexProgress, forgets: ForgetLedger, validator: EventValidator,
        skew: ClockSkew, now: @escaping @Sendable () -> Int64, metrics: ServiceMetrics, logger: Logger
    ) {
        self.log = log
        self.progress = progress
        self.forgets = forgets
        self.validator = validator
        self.skew = skew
        self.now = now
        self.metrics = metrics
        self.logger = logger
    }

    /// Stores identify calls for `project`; returns once durable.
    public func identify(_ batch: IdentifyBatch, project: String, single: Bool = false) async throws(APIError) -> IdentifyAck {
        guard !batch.identifies.isEmpty else {
            throw APIError(.invalidIdentify, "identifies must hold at least one identify call", field: "identifies", reason: "empty")
        }
        for (i, call) in batch.identifies.enumerated() {
            try validator.validate(call, path: single ? "" : "identifies[\(i)]")
        }
        if let sentAt = batch.sentAt { try validator.checkTime(sentAt, "sent_at", .invalidIdentify) }
        let receivedAt = now()
        let offset = skew.offset(receivedAt: receivedAt, sentAt: batch.sentAt)
        var calls = batch.identifies
        for i in calls.indices {
            calls[i].timestamp = skew.correct(calls[i].timestamp, receivedAt: receivedAt, offset: offset)
            calls[i].seq = nil
            calls[i].receivedAt = receivedAt
        }
        let payload = StoredIdentifyBatch(project: project, identifies: calls).encoded()
        do {
            let start = ContinuousClock.now
            _ = try await log.append(payload, kind: .identifyBatch)
            metrics.appendLatency.record(duration: ContinuousClock.now - start)
        } catch {
            throw IngestService.map(error)
        }
        metrics.identifiesAccepted.increment(by: Int64(calls.count))
        return IdentifyAck(accepted: UInt32(calls.count))
    }

    /// Forgets `userID` in `project`: appends a tombstone, waits until the engine applied
    /// it, and returns how many events queries no longer return.
    public func forget(_ request: ForgetRequest, project: String) async throws(APIError) -> ForgetResponse {
        guard !request.userID.isEmpty else {
            throw APIError(.invalidQuery, "user_id must not be empty", field: "user_id", reason: "empty")
        }
        guard request.userID.utf8.count <= validator.limits.userIDBytesMax else {
            throw APIError(.invalidQuery, "user_id is longer than \(validator.limits.userIDBytesMax) bytes", field: "user_id", reason: "too_long")
        }
        let record = StoredForget(project: project, userID: request.userID, requestedAt: now())
        let seq: UInt64
        do {
            seq = try await log.append(record.encoded(), kind: .forget)
        } catch {
            throw IngestService.map(error)
        }
        guard await progress.wait(untilIndexed: seq + 1) else { throw IngestService.shuttingDown }
        logger.info("forget applied", metadata: ["project": "\(project)", "seq": "\(seq)"])
        return ForgetResponse(eventsHidden: forgets.take(seq: seq) ?? 0)
    }
}
