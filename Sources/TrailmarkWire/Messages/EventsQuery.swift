/// Raw events (`trailmark.v1.Query/Events`, `GET /v1/query`).
///
/// Only events with `from <= timestamp < to` are returned, filtered by every field set,
/// in `(timestamp, seq)` order (or its reverse), at most `limit` per page.
public struct EventsQuery: Hashable, Sendable {
    public var from: Int64
    public var to: Int64
    public var event: String?
    public var source: String?
    public var medium: String?
    /// Stitched user (SEMANTICS §3), not just the `user_id` column.
    public var userID: String?
    public var anonymousID: String?
    /// 1...10,000; default 100.
    public var limit: UInt32
    public var order: SortOrder
    /// Opaque continuation token from a previous page's `nextCursor`.
    public var cursor: String?

    public init(
        from: Int64, to: Int64, event: String? = nil, source: String? = nil, medium: String? = nil,
        userID: String? = nil, anonymousID: String? = nil, limit: UInt32 = 100,
        order: SortOrder = .ascending, cursor: String? = nil
    ) {
        self.from = from
        self.to = to
        self.event = event
        self.source = source
        self.medium = medium
        self.userID = userID
        self.anonymousID = anonymousID
        self.limit = limit
        self.order = order
        self.cursor = cursor
    }
}

/// A stored event as queries return it: every SEMANTICS §1 column plus the stitched user.
public struct EventRow: Hashable, Sendable {
    public var event: Event
    /// The event's user by SEMANTICS §3 (nil when it has none).
    public var user: String?

    public init(event: Event, user: String?) {
        self.event = event
        self.user = user
    }
}

/// One page of `EventsQuery` (the streaming RPC sends rows in several messages, the last
/// carrying `nextCursor`).
public struct EventsPage: Hashable, Sendable {
    public var rows: [EventRow]
    /// Set when more rows match: pass it as `cursor` to continue.
    public var nextCursor: String?

    public init(rows: [EventRow], nextCursor: String? = nil) {
        self.rows = rows
        self.nextCursor = nextCursor
    }
}
