/// Counts and uniques (`trailmark.v1.Query/Stats`, `GET /v1/stats`).
public struct StatsQuery: Hashable, Sendable {
    public var metric: Metric
    /// Range `[from, to)`; `nil` ends are open (all time by default).
    public var from: Int64?
    public var to: Int64?
    /// Only these event names (any of them); empty means all events.
    public var events: [String]
    /// Group columns, in the order given; each appears at most once.
    public var groupBy: [GroupField]
    public var interval: Interval?
    public var unit: UnitKind

    public init(
        metric: Metric, from: Int64? = nil, to: Int64? = nil, events: [String] = [],
        groupBy: [GroupField] = [], interval: Interval? = nil, unit: UnitKind = .user
    ) {
        self.metric = metric
        self.from = from
        self.to = to
        self.events = events
        self.groupBy = groupBy
        self.interval = interval
        self.unit = unit
    }
}

/// One row of a stats answer. With no `groupBy` and no `interval` there is exactly one row.
public struct StatsRow: Hashable, Sendable {
    public var value: UInt64
    /// One value per `groupBy` column, in its order (`nil` for a null campaign).
    public var groups: [String?]
    /// Start of the UTC bucket in microseconds, when an interval was asked for.
    public var bucket: Int64?

    public init(value: UInt64, groups: [String?] = [], bucket: Int64? = nil) {
        self.value = value
        self.groups = groups
        self.bucket = bucket
    }
}

public struct StatsResult: Hashable, Sendable {
    public var metric: Metric
    public var groupBy: [GroupField]
    public var rows: [StatsRow]

    public init(metric: Metric, groupBy: [GroupField] = [], rows: [StatsRow]) {
        self.metric = metric
        self.groupBy = groupBy
        self.rows = rows
    }
}

/// Traffic sources (`trailmark.v1.Query/Sources`, `GET /v1/sources`).
public struct SourcesQuery: Hashable, Sendable {
    public var from: Int64?
    public var to: Int64?
    public var unit: UnitKind

    public init(from: Int64? = nil, to: Int64? = nil, unit: UnitKind = .user) {
        self.from = from
        self.to = to
        self.unit = unit
    }
}

/// Per source/medium/campaign: events and distinct units.
public struct SourcesRow: Hashable, Sendable {
    public var source: String
    public var medium: String
    public var campaign: String?
    public var events: UInt64
    public var uniques: UInt64

    public init(source: String, medium: String, campaign: String?, events: UInt64, uniques: UInt64) {
        self.source = source
        self.medium = medium
        self.campaign = campaign
        self.events = events
        self.uniques = uniques
    }
}

public struct SourcesResult: Hashable, Sendable {
    public var rows: [SourcesRow]

    public init(rows: [SourcesRow]) { self.rows = rows }
}
