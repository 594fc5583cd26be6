/// The per-user helpers of SEMANTICS §3 (`trailmark.v1.Query/User`, `GET /v1/users/{id}`).
public struct UserQuery: Hashable, Sendable {
    public var userID: String
    /// When set, the answer includes the time to conversion for this event name.
    public var conversionEvent: String?
    /// Most pre-login events returned (default and maximum 1,000).
    public var preloginLimit: UInt32

    public init(userID: String, conversionEvent: String? = nil, preloginLimit: UInt32 = 1000) {
        self.userID = userID
        self.conversionEvent = conversionEvent
        self.preloginLimit = preloginLimit
    }
}

/// The earliest event of a user across every device (SEMANTICS §3 "first touch").
public struct FirstTouch: Hashable, Sendable {
    public var event: String
    public var timestamp: Int64
    public var source: String
    public var medium: String
    public var campaign: String?

    public init(event: String, timestamp: Int64, source: String, medium: String, campaign: String?) {
        self.event = event
        self.timestamp = timestamp
        self.source = source
        self.medium = medium
        self.campaign = campaign
    }
}

public struct UserResult: Hashable, Sendable {
    public var userID: String
    /// Every anonymous id linked to the user by an identify, sorted.
    public var anonymousIDs: [String]
    /// `nil` when the user has no events.
    public var firstTouch: FirstTouch?
    /// Events of the user without `user_id` before the first identify, in §2 order.
    public var prelogin: [EventRow]
    /// The event name asked for, echoed.
    public var conversionEvent: String?
    /// First `conversionEvent` minus first event, in microseconds; `nil` when never converted.
    public var timeToConversion: Int64?

    public init(
        userID: String, anonymousIDs: [String], firstTouch: FirstTouch?, prelogin: [EventRow],
        conversionEvent: String? = nil, timeToConversion: Int64? = nil
    ) {
        self.userID = userID
        self.anonymousIDs = anonymousIDs
        self.firstTouch = firstTouch
        self.prelogin = prelogin
        self.conversionEvent = conversionEvent
        self.timeToConversion = timeToConversion
    }
}
