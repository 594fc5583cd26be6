import Logging
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Accepts event batches (SEMANTICS §1): validates them all-or-nothing, assigns the server
/// fields (received time, skew-corrected timestamp, UUIDv7 `event_id`, attribution),
/// drops retries by `event_id`, appends the rest to the log through the ring and answers
/// only once the log has made them durable (API.md § Durability).
///
/// Owns: the ids it has appended that the engine may not have indexed yet (`recent`) and
/// the ids of batches still on their way to disk (`pending`). Everything older is the
/// engine's (`EventEngine.isDuplicate`), fed by the log tailer. The actor serialises the
/// duplicate decision; while a batch waits for group commit other batches proceed, so
/// concurrent requests share one `fdatasync`.
public actor IngestService {
    private let log: SegmentLog
    private let engine: EventEngine
    private let progress: IndexProgress
    private let validator: EventValidator
    private let skew: ClockSkew
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let metrics: ServiceMetrics

    /// One append on its way to disk, with the ids it carries.
    private final class PendingAppend: Sendable {
        let task: Task<UInt64, any Error>
        let project: String
        let ids: [String]

        init(task: Task<UInt64, any Error>, project: String, ids: [String]) {
            self.task = task
            self.project = project
            self.ids = ids
        }
    }

    /// project → event id → the append that is writing it.
    private var pending: [String: [String: PendingAppend]] = [:]
    /// project → event id → the record that holds it, until the engine has indexed it.
    private var recent: [String: [String: UInt64]] = [:]
    private var recentCount = 0

    public init(
        log: SegmentLog, engine: EventEngine, progress: IndexProgress, validator: EventValidator,
        skew: ClockSkew, now: @escaping @Sendable () -> Int64, logger: Logger, metrics: ServiceMetrics
    ) {
        self.log = log
        self.engine = engine
        self.progress = progress
        self.validator = validator
        self.skew = skew
        self.now = now
        self.logger = logger
        self.metrics = metrics
    }

    /// Stores a batch for `project`; returns once it is durable. Throws `APIError`
    /// (`invalid_event` naming the field, `unavailable` when overloaded or shutting down).
    /// `single` names fields without the `events[i].` prefix (`POST /v1/track`).
    public func track(_ batch: EventBatch, project: String, single: Bool = false) async throws(APIError) -> BatchAck {
        var events = batch.events
        guard !events.isEmpty else {
            throw APIError(.invalidEvent, "events must hold at least one event", field: "events", reason: "empty")
        }
        do {
            for i in events.indices { try validator.validate(&events[i], path: single ? "" : "events[\(i)]") }
            if let sentAt = batch.sentAt { try validator.checkTime(sentAt, "sent_at", .invalidEvent) }
        } catch {
            metrics.eventsRejected.increment(by: Int64(events.count))
            throw error
        }
        // Writes are accepted during start-up replay, but the duplicate decision needs the
        // whole history indexed: the acknowledgement waits for replay to finish.
        guard await progress.waitReplayed() else { throw Self.shuttingDown }

        let receivedAt = now()
        let offset = skew.offset(receivedAt: receivedAt, sentAt: batch.sentAt)
        let millis = UInt64(max(0, receivedAt / 1000))
        var generated = Set<Int>()
        for i in events.indices {
            events[i].receivedAt = receivedAt
            events[i].timestamp = skew.correct(events[i].timestamp, receivedAt: receivedAt, offset: offset)
            if events[i].eventID == nil {
                events[i].eventID = UUIDv7.make(milliseconds: millis)
                generated.insert(i)
            }
            events[i].attribution = AttributionClassifier.classify(url: events[i].url, referrer: events[i].referrer)
        }
        let eventIDs = events.map { $0.eventID ?? "" }

        while true {
            let decision = decide(events, generated: generated, project: project)
            switch decision {
            case .waitFor(let other):
                settle(other, await Self.outcome(of: other))
                continue
            case .store(let fresh, let duplicates):
                let accepted = try await append(fresh, project: project)
                metrics.eventsAccepted.increment(by: Int64(accepted))
                metrics.eventsDuplicate.increment(by: Int64(duplicates))
                return BatchAck(batchID: batch.batchID, accepted: UInt32(accepted), duplicates: UInt32(duplicates), eventIDs: eventIDs)
            }
        }
    }

    private enum Decision {
        case waitFor(PendingAppend)
        case store([Event], duplicates: Int)
    }

    /// Splits a batch into new events and retries. An id still being written by another
    /// batch is neither: that batch's outcome decides, so the caller waits for it first.
    private func decide(_ events: [Event], generated: Set<Int>, project: String) -> Decision {
        pruneRecent()
        var fresh: [Event] = []
        fresh.reserveCapacity(events.count)
        var seenInBatch = Set<String>()
        var duplicates = 0
        let pendingIDs = pending[project] ?? [:]
        let recentIDs = recent[project] ?? [:]
        for (i, event) in events.enumerated() {
            guard let id = event.eventID else { continue }
            if generated.contains(i) {
                fresh.append(event)
                continue
            }
            if let other = pendingIDs[id] { return .waitFor(other) }
            if !seenInBatch.insert(id).inserted || recentIDs[id] != nil || engine.isDuplicate(project: project, eventID: id) {
                duplicates += 1
            } else {
                fresh.append(event)
            }
        }
        return .store(fresh, duplicates: duplicates)
    }

    private func append(_ fresh: [Event], project: String) async throws(APIError) -> Int {
        guard !fresh.isEmpty else { return 0 }
        let payload = StoredEventBatch(project: project, events: fresh).encoded(capacity: fresh.count * 96)
        guard payload.count <= log.configuration.recordPayloadBytesMax else {
            throw APIError(.payloadTooLarge, "the batch encodes to \(payload.count) bytes; at most \(log.configuration.recordPayloadBytesMax) fit in one log record", reason: "too_large")
        }
        let log = self.log
        let append = PendingAppend(
            task: Task<UInt64, any Error> { try await log.append(payload, kind: .eventBatch) },
            project: project, ids: fresh.compactMap(\.eventID))
        for id in append.ids { pending[project, default: [:]][id] = append }
        let result = await Self.outcome(of: append)
        settle(append, result)
        switch result {
        case .success: return fresh.count
        case .failure(let error): throw Self.map(error)
        }
    }

    private static func outcome(of append: PendingAppend) async -> Result<UInt64, any Error> {
        do { return .success(try await append.task.value) } catch { return .failure(error) }
    }

    /// Moves a finished append's ids out of `pending` (into `recent` when it succeeded).
    /// Idempotent: the appender and every batch that waited on it call it.
    private func settle(_ append: PendingAppend, _ result: Result<UInt64, any Error>) {
        for id in append.ids where pending[append.project]?[id] === append {
            pending[append.project]?[id] = nil
            if case .success(let seq) = result {
                recent[append.project, default: [:]][id] = seq
                recentCount += 1
            }
        }
    }

    /// Forgets `recent` entries the engine has indexed (it answers for them from now on).
    private func pruneRecent() {
        guard recentCount > 0 else { return }
        let indexed = progress.indexedEnd
        var remaining = 0
        for (project, ids) in recent {
            let kept = ids.filter { $0.value >= indexed }
            recent[project] = kept.isEmpty ? nil : kept
            remaining += kept.count
        }
        recentCount = remaining
    }

    static let shuttingDown = APIError(.unavailable, "the server is shutting down", retryAfterSeconds: 1)

    /// The single mapping of storage failures to API errors.
    static func map(_ error: any Error) -> APIError {
        guard let storage = error as? StorageError else {
            return APIError(.internalError, "append failed: \(error)")
        }
        switch storage.code {
        case .overloaded:
            return APIError(.unavailable, "the log is overloaded; retry shortly", reason: "overloaded", retryAfterSeconds: 1)
        case .closed:
            return shuttingDown
        default:
            return APIError(.internalError, "storage failed: \(storage.message)")
        }
    }
}
