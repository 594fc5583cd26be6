import TrailmarkWire

/// Tuning of a `Trailmark` client. The defaults follow the batching SDKs people know
/// (Segment, PostHog): flush every 100 events or 5 seconds, hold at most 10,000 events.
public struct TrailmarkOptions: Sendable {
    /// How batches travel.
    public enum Delivery: Sendable, Hashable {
        /// One `Ingest/Track` call per batch.
        case unary
        /// One long-lived `Ingest/TrackStream` call carrying every batch (very high rates).
        case stream
    }

    /// Send a batch as soon as this many events are queued.
    public var flushAt: Int = 100
    /// Send whatever is queued at least this often.
    public var flushInterval: Duration = .seconds(5)
    /// Events held at most; beyond it the oldest are dropped and counted
    /// (`TrailmarkStats.dropped`), so memory stays bounded while the server is away.
    public var maxQueueSize: Int = 10_000
    /// Largest batch, in (estimated) encoded bytes; the server's default limit is 4 MiB.
    public var maxBatchSizeBytes: Int = 512 << 10
    /// Backoff of retries (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, connection loss).
    /// `attemptsMax` bounds one flush; the batch stays queued for the next one.
    public var retry = RetryPolicy(base: .milliseconds(100), cap: .seconds(10), attemptsMax: 8)
    /// Deadline of each call.
    public var timeout: Duration = .seconds(15)
    public var tls: TLSVerification = .verify(caFile: nil)
    public var delivery: Delivery = .unary
    public var anonymousIDStore: any AnonymousIDStore = InMemoryAnonymousIDStore()
    /// Called for batches the server refused for good (INVALID_ARGUMENT, UNAUTHENTICATED,
    /// PERMISSION_DENIED, …): those events are discarded, never retried.
    public var onError: (@Sendable (TrailmarkFailure) -> Void)?

    public init() {}
}

/// A batch the SDK gave up on, as reported to `TrailmarkOptions.onError`.
public struct TrailmarkFailure: Sendable {
    public var error: TrailmarkError
    /// The ids of the events discarded (identify calls have none).
    public var eventIDs: [String]
    /// Identify calls discarded.
    public var identifies: Int
}

/// Counters of a `Trailmark` client.
public struct TrailmarkStats: Sendable, Hashable {
    /// Events waiting to be sent (including a batch in flight).
    public var queued = 0
    /// Events acknowledged by the server (stored, or recognised as already stored).
    public var sent: UInt64 = 0
    /// Batches acknowledged.
    public var batches: UInt64 = 0
    /// Events dropped because the queue was full (oldest first).
    public var dropped: UInt64 = 0
    /// Events discarded because the server refused their batch for good.
    public var rejected: UInt64 = 0
    /// Calls retried after a retryable failure.
    public var retries: UInt64 = 0
    /// Events the server reported as duplicates (a retry of a batch it had stored).
    public var duplicates: UInt64 = 0
}
