/// What counts as one unit (SEMANTICS §3): the stitched user (default) or the device.
public enum UnitKind: UInt8, Hashable, Sendable, CaseIterable {
    case user = 0, anonymous = 1

    public var name: String { self == .user ? "user" : "anonymous" }
}

/// Row order of `/v1/query`: by `(timestamp, seq)` ascending (default) or descending.
public enum SortOrder: UInt8, Hashable, Sendable, CaseIterable {
    case ascending = 0, descending = 1

    public var name: String { self == .ascending ? "asc" : "desc" }
}

/// The metric of `/v1/stats`.
public enum Metric: UInt8, Hashable, Sendable, CaseIterable {
    case count = 0, uniques = 1

    public var name: String { self == .count ? "count" : "uniques" }
}

/// A column `/v1/stats` can group by.
public enum GroupField: UInt8, Hashable, Sendable, CaseIterable {
    case event = 0, source = 1, medium = 2, campaign = 3

    public var name: String {
        switch self {
        case .event: "event"
        case .source: "source"
        case .medium: "medium"
        case .campaign: "campaign"
        }
    }
}

/// A UTC time bucket of `/v1/stats`. Weeks start on Monday 00:00 UTC (ISO 8601).
public enum Interval: UInt8, Hashable, Sendable, CaseIterable {
    case hour = 0, day = 1, week = 2

    public var name: String {
        switch self {
        case .hour: "hour"
        case .day: "day"
        case .week: "week"
        }
    }
}

/// What a funnel counts (SEMANTICS §4): units (default) or sessions.
public enum CountMode: UInt8, Hashable, Sendable, CaseIterable {
    case units = 0, sessions = 1

    public var name: String { self == .units ? "units" : "sessions" }
}
