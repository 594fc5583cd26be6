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
    let engine: EventEngine
    let progress: IndexProgress
    private let validator: EventValidator
    let skew: ClockSkew
    let now: @Sendable () -> Int64
    private let logger: Logger
    let metrics: ServiceMetrics

    /// One append on its way to disk (`UnindexedIDs` knows the ids it claimed).
    final class PendingAppend: Sendable {
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
        var attributions = AttributionCache()
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
        let eventIDs = events.map { $0.eventID ?? "" }
        let completed = events
        let stored = try await commit(fingerprints: fingerprints, generated: generated, repeats: repeats, project: project) { (keep: [Bool]?) throws(APIError) -> [UInt8] in
            let events = completed
            let batch = StoredEventBatch(project: project, events: keep.map { keep in events.indices.filter { keep[$0] }.map { events[$0] } } ?? events)
            // The client's columns are reusable only when every event is stored.
            return (keep == nil ? reusable.flatMap { batch.encoded(reusing: $0) } : nil) ?? batch.encoded(capacity: batch.events.count * 96)
        }
        return BatchAck(batchID: batch.batchID, accepted: UInt32(stored.accepted), duplicates: UInt32(stored.duplicates), eventIDs: eventIDs)
    }

    /// Builds a batch's log record; `keep` marks the events to store, nil meaning all.
    typealias RecordBuilder = @Sendable (_ keep: [Bool]?) throws(APIError) -> [UInt8]

    /// The isolated part of `track`: decide which events are new, append them (the record
    /// `record` builds, off the actor), count them.
    func commit(
        fingerprints: [UInt64], generated: [Bool], repeats: [Bool], project: String, record: @escaping RecordBuilder
    ) async throws(APIError) -> (accepted: Int, duplicates: Int) {
        while true {
            let decision = decide(fingerprints: fingerprints, generated: generated, repeats: repeats, project: project)
            switch decision {
            case .waitFor(let other):
                settle(other, await Self.outcome(of: other))
                continue
            case .store(let keep, let freshIDs, let duplicates):
                let accepted = try await append(freshIDs, project: project) { () throws(APIError) in try record(keep) }
                metrics.eventsAccepted.increment(by: Int64(accepted))
                metrics.eventsDuplicate.increment(by: Int64(duplicates))
                return (accepted, duplicates)
            }
        }
    }

    private enum Decision {
        case waitFor(PendingAppend)
        /// Store the events `keep` marks (nil: all), whose fingerprints are `ids`.
        case store(keep: [Bool]?, ids: [UInt64], duplicates: Int)
    }

    /// Splits a batch into new events and retries. An id still being written by another
    /// batch is neither: that batch's outcome decides, so the caller waits for it first.
    /// `repeats` marks ids an earlier event of the same batch carries (`BatchRepeats`).
    private func decide(fingerprints: [UInt64], generated: [Bool], repeats: [Bool], project: String) -> Decision {
        unindexed.prune(indexedEnd: progress.indexedEnd)
        // Client-sent ids the engine already stores: one lock for the batch.
        let candidates = fingerprints.indices.map { generated[$0] ? 0 : fingerprints[$0] }
        // A batch of server ids only (clients that send none) has nothing to look up: no
        // wait on the project's lock, which the indexer holds while it ingests a record.
        var duplicate = candidates.contains { $0 != 0 }
            ? engine.areDuplicates(project: project, fingerprints: candidates)
            : [Bool](repeating: false, count: fingerprints.count)
        let holders = unindexed.lookup(project)
        var duplicates = 0
        for i in fingerprints.indices where !generated[i] {
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
        // The common case, no retries: the batch goes on as it is.
        guard duplicates > 0 else { return .store(keep: nil, ids: fingerprints, duplicates: 0) }
        let freshIDs = fingerprints.indices.filter { !duplicate[$0] }.map { fingerprints[$0] }
        return .store(keep: duplicate.map { !$0 }, ids: freshIDs, duplicates: duplicates)
    }

    /// Appends the record `payload` builds (off the actor) for the `ids.count` new events
    /// whose fingerprints are `ids`; returns that count once the record is durable.
    private func append(_ ids: [UInt64], project: String, payload makePayload: @escaping @Sendable () throws(APIError) -> [UInt8]) async throws(APIError) -> Int {
        guard !ids.isEmpty else { return 0 }
        let log = self.log
        let latency = metrics.appendLatency
        // The task encodes off the actor, then waits for group commit.
        let append = PendingAppend(
            task: Task<UInt64, any Error> {
                let payload = try makePayload()
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
        case .success: return ids.count
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
