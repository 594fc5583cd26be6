import Logging
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// Accepts event batches (SEMANTICS §1): validates them all-or-nothing, assigns the server
/// fields (received time, skew-corrected timestamp, UUIDv7 `event_id`, attribution),
/// drops retries by `event_id`, appends the rest to the log through the ring and answers
/// only once the log has made them durable (API.md § Durability).
///
/// Owns: the ids of batches still on their way to disk and of records the engine may not
/// have indexed yet (`UnindexedIDs`). Everything older is the engine's
/// (`EventEngine.areDuplicates`), fed by the log tailer. The actor serialises the
/// duplicate decision; while a batch waits for group commit other batches proceed, so
/// concurrent requests share one `fdatasync`.
///
/// Ids are keyed by the engine's 64-bit `event_id` fingerprint, computed before the actor
/// is entered, so the serial part costs a few integer-keyed lookups per event and one
/// engine lock per batch, not string hashing.
public actor IngestService {
    private let log: SegmentLog
    private let engine: EventEngine
    private let progress: IndexProgress
    private let validator: EventValidator
    private let skew: ClockSkew
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let metrics: ServiceMetrics

    /// One append on its way to disk (`UnindexedIDs` knows the ids it claimed).
    private final class PendingAppend: Sendable {
        let task: Task<UInt64, any Error>

        init(task: Task<UInt64, any Error>) {
            self.task = task
        }
    }

    /// Ids claimed by appends the engine has not indexed yet.
    private var unindexed = UnindexedIDs<PendingAppend>()

    init(
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
    ///
    /// Validation and the server fields are computed outside the actor's isolation (they
    /// touch no actor state), so concurrent requests prepare their batches in parallel;
    /// only the duplicate decision runs on the actor.
    ///
    /// `block` is the batch's encoded event block when it came from the binary RPC: the
    /// stored record then copies the client's columns (`StoredEventBatch.encoded(reusing:)`)
    /// unless validation normalised a field or retries are dropped.
    ///
    /// Takes the batch (`consuming`) and moves its events out before validating them in
    /// place: with a second reference left in `batch`, the first write would copy the whole
    /// array, retaining every string of every event once more.
    public nonisolated func track(_ batch: consuming EventBatch, block: EventBlock? = nil, project: String, single: Bool = false) async throws(APIError) -> BatchAck {
        var events: [Event] = []
        swap(&events, &batch.events)
        guard !events.isEmpty else {
            throw APIError(.invalidEvent, "events must hold at least one event", field: "events", reason: "empty")
        }
        var normalised = false
        do {
            for i in events.indices where try validator.validate(&events[i], path: single ? "" : "events[\(i)]") { normalised = true }
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
        var generated = [Bool](repeating: false, count: events.count)
        var fingerprints = [UInt64](repeating: 0, count: events.count)
        let fingerprint = engine.fingerprint
        // Server-assigned ids: UUIDv7 random bits from a generator seeded once per batch
        // from the system's (74 random bits per id; unique, not secret).
        var idRandom = FastRandom(seed: UInt64.random(in: 0...UInt64.max))
        // Attribution depends only on (url, referrer); a batch from one device repeats them.
        var attributions = AttributionCache(expected: min(events.count, 256))
        for i in events.indices {
            events[i].receivedAt = receivedAt
            events[i].timestamp = skew.correct(events[i].timestamp, receivedAt: receivedAt, offset: offset)
            if events[i].eventID == nil {
                events[i].eventID = UUIDv7.make(milliseconds: millis, using: &idRandom)
                generated[i] = true
            }
            fingerprints[i] = fingerprint(events[i].eventID ?? "")
            events[i].attribution = attributions.attribution(url: events[i].url, referrer: events[i].referrer)
        }
        let repeats = BatchRepeats.mark(fingerprints, skip: generated)
        let reusable = normalised ? nil : block
        return try await commit(events, fingerprints: fingerprints, generated: generated, repeats: repeats, block: reusable, batchID: batch.batchID, project: project)
    }

    /// The isolated part of `track`: decide which events are new, append them, answer.
    private func commit(_ events: [Event], fingerprints: [UInt64], generated: [Bool], repeats: [Bool], block: EventBlock?, batchID: UInt64?, project: String) async throws(APIError) -> BatchAck {
        let eventIDs = events.map { $0.eventID ?? "" }
        while true {
            let decision = decide(events, fingerprints: fingerprints, generated: generated, repeats: repeats, project: project)
            switch decision {
            case .waitFor(let other):
                settle(other, await Self.outcome(of: other))
                continue
            case .store(let fresh, let freshIDs, let duplicates):
                // The client's columns are reusable only when every event is stored.
                let accepted = try await append(fresh, ids: freshIDs, block: duplicates == 0 ? block : nil, project: project)
                metrics.eventsAccepted.increment(by: Int64(accepted))
                metrics.eventsDuplicate.increment(by: Int64(duplicates))
                return BatchAck(batchID: batchID, accepted: UInt32(accepted), duplicates: UInt32(duplicates), eventIDs: eventIDs)
            }
        }
    }

    private enum Decision {
        case waitFor(PendingAppend)
        case store([Event], ids: [UInt64], duplicates: Int)
    }

    /// Splits a batch into new events and retries. An id still being written by another
    /// batch is neither: that batch's outcome decides, so the caller waits for it first.
    /// `repeats` marks ids an earlier event of the same batch carries (`BatchRepeats`).
    private func decide(_ events: [Event], fingerprints: [UInt64], generated: [Bool], repeats: [Bool], project: String) -> Decision {
        unindexed.prune(indexedEnd: progress.indexedEnd)
        // Client-sent ids the engine already stores: one lock for the batch.
        let candidates = fingerprints.indices.map { generated[$0] ? 0 : fingerprints[$0] }
        var duplicate = engine.areDuplicates(project: project, fingerprints: candidates)
        let holders = unindexed.lookup(project)
        var duplicates = 0
        for i in events.indices where !generated[i] {
            let fp = fingerprints[i]
            if let holder = holders?[fp] {
                switch holder {
                case .writing(let other):
                    return .waitFor(other)
                case .written: duplicate[i] = true
                }
            }
            if repeats[i] { duplicate[i] = true }
            if duplicate[i] { duplicates += 1 }
        }
        // The common case, no retries: the batch goes on as it is, without copying events.
        guard duplicates > 0 else { return .store(events, ids: fingerprints, duplicates: 0) }
        var fresh: [Event] = []
        var freshIDs: [UInt64] = []
        fresh.reserveCapacity(events.count - duplicates)
        freshIDs.reserveCapacity(events.count - duplicates)
        for i in events.indices where !duplicate[i] {
            fresh.append(events[i])
            freshIDs.append(fingerprints[i])
        }
        return .store(fresh, ids: freshIDs, duplicates: duplicates)
    }

    private func append(_ fresh: [Event], ids: [UInt64], block: EventBlock?, project: String) async throws(APIError) -> Int {
        guard !fresh.isEmpty else { return 0 }
        let log = self.log
        let latency = metrics.appendLatency
        // The task encodes off the actor, then waits for group commit.
        let append = PendingAppend(
            task: Task<UInt64, any Error> {
                let batch = StoredEventBatch(project: project, events: fresh)
                let payload = block.flatMap { batch.encoded(reusing: $0) } ?? batch.encoded(capacity: fresh.count * 96)
                let max = log.configuration.recordPayloadBytesMax
                guard payload.count <= max else {
                    throw APIError(.payloadTooLarge, "the batch encodes to \(payload.count) bytes; at most \(max) fit in one log record", reason: "too_large")
                }
                let start = ContinuousClock.now
                let seq = try await log.append(payload, kind: .eventBatch)
                latency.record(duration: ContinuousClock.now - start)
                return seq
            })
        unindexed.claim(ids, for: append, in: project)
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

    /// Records a finished append's outcome: its ids become `written` (a retry of them is a
    /// duplicate until the engine answers for them) or, when it failed, free again.
    /// Idempotent: the appender and every batch that waited on it call it.
    private func settle(_ append: PendingAppend, _ result: Result<UInt64, any Error>) {
        let seq: UInt64? = if case .success(let seq) = result { seq } else { nil }
        unindexed.settle(append, seq: seq)
    }

    static let shuttingDown = APIError(.unavailable, "the server is shutting down", retryAfterSeconds: 1)

    /// The single mapping of storage failures to API errors.
    static func map(_ error: any Error) -> APIError {
        if let api = error as? APIError { return api }
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
