/// A batch of events as an SDK sends it (`trailmark.v1.Ingest/Track`, `/TrackStream`).
///
/// On the wire this is the **columnar** event batch of `Proto/WIRE.md`: a per-batch
/// string dictionary and delta-encoded timestamps. A batch is all-or-nothing.
/// The log stores the same message with the server fields filled in.
public struct EventBatch: Hashable, Sendable {
    public var events: [Event]
    /// The client's clock when it sent the batch, for skew correction (SEMANTICS §1).
    public var sentAt: Int64?
    /// A client-chosen id echoed in the acknowledgement, so a streaming client can match
    /// acks to batches. Not an idempotency key (event ids are).
    public var batchID: UInt64?

    public init(events: [Event], sentAt: Int64? = nil, batchID: UInt64? = nil) {
        self.events = events
        self.sentAt = sentAt
        self.batchID = batchID
    }
}

/// The acknowledgement of one `EventBatch`, sent only once the batch is durable.
public struct BatchAck: Hashable, Sendable {
    /// The batch's `batchID`, echoed.
    public var batchID: UInt64?
    /// Events newly stored.
    public var accepted: UInt32
    /// Events recognised as retries (same `event_id`) and not stored again.
    public var duplicates: UInt32
    /// Every event's id in batch order (server-assigned UUIDv7 where the client sent none).
    public var eventIDs: [String]

    public init(batchID: UInt64? = nil, accepted: UInt32, duplicates: UInt32, eventIDs: [String] = []) {
        self.batchID = batchID
        self.accepted = accepted
        self.duplicates = duplicates
        self.eventIDs = eventIDs
    }
}

/// One identify call (SEMANTICS §1): links an anonymous id to a user from `timestamp` on.
public struct Identify: Hashable, Sendable {
    /// Non-empty, ..200 bytes.
    public var anonymousID: String
    /// Non-empty, ..256 bytes.
    public var userID: String
    public var traits: Properties
    /// `nil` from a client means "the time it was received".
    public var timestamp: Int64?
    /// Server field: position in the log of the `$identify` event appended with it.
    public var seq: UInt64?
    /// Server field: when the server accepted the call (microseconds since the epoch), the
    /// `received_at` of its `$identify` event. Client values are ignored; `nil` in identify
    /// records written before the field existed (their `$identify` rows have none).
    public var receivedAt: Int64?

    public init(
        anonymousID: String, userID: String, traits: Properties = [:], timestamp: Int64? = nil, seq: UInt64? = nil,
        receivedAt: Int64? = nil
    ) {
        self.anonymousID = anonymousID
        self.userID = userID
        self.traits = traits
        self.timestamp = timestamp
        self.seq = seq
        self.receivedAt = receivedAt
    }
}

/// A batch of identify calls (`trailmark.v1.Identity/Identify`), all-or-nothing.
public struct IdentifyBatch: Hashable, Sendable {
    public var identifies: [Identify]
    public var sentAt: Int64?

    public init(identifies: [Identify], sentAt: Int64? = nil) {
        self.identifies = identifies
        self.sentAt = sentAt
    }
}

/// The acknowledgement of an `IdentifyBatch`, sent once durable.
public struct IdentifyAck: Hashable, Sendable {
    public var accepted: UInt32

    public init(accepted: UInt32) { self.accepted = accepted }
}

/// Forget a user (`trailmark.v1.Identity/Forget`, `DELETE /v1/users/{user_id}`).
public struct ForgetRequest: Hashable, Sendable {
    public var userID: String

    public init(userID: String) { self.userID = userID }
}

/// The answer to `ForgetRequest`: how many events queries no longer return.
public struct ForgetResponse: Hashable, Sendable {
    public var eventsHidden: UInt64

    public init(eventsHidden: UInt64) { self.eventsHidden = eventsHidden }
}

/// `trailmark.v1.Health/Check` request (no fields).
public struct HealthRequest: Hashable, Sendable {
    public init() {}
}

/// `trailmark.v1.Health/Check` response, same content as `GET /v1/health`.
public struct HealthResponse: Hashable, Sendable {
    public enum Status: UInt8, Hashable, Sendable, CaseIterable {
        case ok = 0, replaying = 1, shuttingDown = 2

        public var name: String {
            switch self {
            case .ok: "ok"
            case .replaying: "replaying"
            case .shuttingDown: "shutting_down"
            }
        }
    }

    public var status: Status
    /// Events stored (visible to queries) so far.
    public var events: UInt64

    public init(status: Status, events: UInt64) {
        self.status = status
        self.events = events
    }
}
