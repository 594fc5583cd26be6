/// What the segment log stores: each record's payload is one of these messages, encoded
/// with the Trailmark codec; the record's kind byte says which (`docs/STORAGE.md`).
///
/// Events and identifies are stored with every server field filled in (received time,
/// skew-corrected timestamp, event id, attribution), so replay never recomputes them.
/// An event's `seq` is not stored: it is derived from the record's log position as
/// `recordSeq << 20 | indexInBatch` (batches hold fewer than 2^20 events), which orders
/// events exactly as the log does and is identical on every replay.
public struct StoredEventBatch: Hashable, Sendable {
    public var project: String
    public var events: [Event]

    public init(project: String, events: [Event]) {
        self.project = project
        self.events = events
    }

    /// Bits of an event seq that hold the index in its batch.
    public static let indexBits: UInt64 = 20

    /// The `seq` of the event at `index` of the batch stored as log record `recordSeq`.
    public static func eventSeq(recordSeq: UInt64, index: Int) -> UInt64 {
        precondition(index >= 0 && index < 1 << indexBits, "event index out of range")
        return recordSeq << indexBits | UInt64(index)
    }
}

/// Identify calls as stored, each with its server `receivedAt`. The `$identify` event each
/// one implies (SEMANTICS §1: same ids, timestamp and received time, empty properties, no
/// url/referrer, so `direct`/`direct`) is not stored separately: replay derives it, with
/// seq `eventSeq(recordSeq:index:)` of the identify's index in this batch.
public struct StoredIdentifyBatch: Hashable, Sendable {
    public var project: String
    public var identifies: [Identify]

    public init(project: String, identifies: [Identify]) {
        self.project = project
        self.identifies = identifies
    }
}

/// A forget (GDPR erasure) tombstone: from this record on, nothing of the user is returned.
public struct StoredForget: Hashable, Sendable {
    public var project: String
    public var userID: String
    /// When the forget was accepted (microseconds).
    public var requestedAt: Int64

    public init(project: String, userID: String, requestedAt: Int64) {
        self.project = project
        self.userID = userID
        self.requestedAt = requestedAt
    }
}
