/// An event (SEMANTICS §1): what an SDK sends, and — with the server-assigned fields
/// filled in — what the log stores and queries return.
///
/// Times are integer microseconds since the Unix epoch (UTC).
/// Client-sent values of the server fields (`receivedAt`, `attribution`, `seq`) are ignored.
public struct Event: Hashable, Sendable {
    /// Event name, 1..200 bytes; names starting with `$` are system events.
    public var event: String
    /// Anonymous (device) id, 0..200 bytes. At least one of `anonymousID`/`userID` is non-empty.
    public var anonymousID: String
    /// Known user id, 1..256 bytes when present.
    public var userID: String?
    /// When the event happened; `nil` from a client means "the time it was received".
    public var timestamp: Int64?
    /// Session id, ..128 bytes.
    public var sessionID: String?
    /// Idempotency key, ..128 bytes: the first event with a given id per project wins.
    public var eventID: String?
    /// Page URL, path and referrer, ..2048 bytes each.
    public var url: String?
    public var path: String?
    public var referrer: String?
    /// Flat properties, at most 64 KiB encoded, keys ..256 bytes.
    public var properties: Properties
    /// Server field: when the service received the event.
    public var receivedAt: Int64?
    /// Server field: attribution computed at ingest (SEMANTICS §6).
    public var attribution: Attribution?
    /// Server field: the event's position in the project's log (SEMANTICS §2 tie-break).
    public var seq: UInt64?

    public init(
        event: String,
        anonymousID: String = "",
        userID: String? = nil,
        timestamp: Int64? = nil,
        sessionID: String? = nil,
        eventID: String? = nil,
        url: String? = nil,
        path: String? = nil,
        referrer: String? = nil,
        properties: Properties = [:],
        receivedAt: Int64? = nil,
        attribution: Attribution? = nil,
        seq: UInt64? = nil
    ) {
        self.event = event
        self.anonymousID = anonymousID
        self.userID = userID
        self.timestamp = timestamp
        self.sessionID = sessionID
        self.eventID = eventID
        self.url = url
        self.path = path
        self.referrer = referrer
        self.properties = properties
        self.receivedAt = receivedAt
        self.attribution = attribution
        self.seq = seq
    }
}

/// The attribution columns of an event (SEMANTICS §6), computed once at ingest.
public struct Attribution: Hashable, Sendable {
    /// How sure the rule that produced the source is.
    public enum Confidence: UInt8, Hashable, Sendable, CaseIterable {
        case low = 0, medium = 1, high = 2

        public var name: String {
            switch self {
            case .low: "low"
            case .medium: "medium"
            case .high: "high"
            }
        }
    }

    /// Lower-case source (`google`, `facebook`, `direct`, a referrer host, …).
    public var source: String
    /// Lower-case medium (`paid`, `social`, `organic`, `email`, `referral`, `direct`, …).
    public var medium: String
    /// `utm_campaign` as given, or `nil`.
    public var campaign: String?
    /// Name of the rule that matched (`click_id`, `utm`, `direct`, …).
    public var rule: String
    public var confidence: Confidence

    public init(source: String, medium: String, campaign: String? = nil, rule: String, confidence: Confidence) {
        self.source = source
        self.medium = medium
        self.campaign = campaign
        self.rule = rule
        self.confidence = confidence
    }
}
