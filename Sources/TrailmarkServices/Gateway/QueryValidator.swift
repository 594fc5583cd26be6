import TrailmarkWire

/// Checks query messages before they reach the engine, shared by the binary RPC and the
/// JSON gateway, so both give the same `invalid_query` with the same field.
public struct QueryValidator: Sendable {
    public static let limitMax: UInt32 = 10_000
    public static let stepsMax = 20
    public static let stepsMin = 2
    public static let statsEventsMax = 100

    public var limits: WireLimits

    public init(limits: WireLimits = .default) { self.limits = limits }

    static func invalid(_ field: String, _ message: String, _ reason: String) -> APIError {
        APIError(.invalidQuery, message, field: field, reason: reason)
    }

    func range(_ from: Int64?, _ to: Int64?) throws(APIError) {
        if let from, let to, from >= to {
            throw Self.invalid("to", "to must be after from", "empty_range")
        }
    }

    func name(_ s: String?, _ field: String, max: Int? = nil) throws(APIError) {
        guard let s else { return }
        let limit = max ?? limits.eventNameBytesMax
        guard s.utf8.count <= limit else {
            throw Self.invalid(field, "\(field) is \(s.utf8.count) bytes; at most \(limit) are allowed", "too_long")
        }
    }

    public func validate(_ q: EventsQuery) throws(APIError) {
        try range(q.from, q.to)
        guard (1...Self.limitMax).contains(q.limit) else {
            throw Self.invalid("limit", "limit must be from 1 to \(Self.limitMax)", "out_of_range")
        }
        try name(q.event, "event")
        try name(q.source, "source", max: limits.urlBytesMax)
        try name(q.medium, "medium", max: limits.urlBytesMax)
        try name(q.userID, "user_id", max: limits.userIDBytesMax)
        try name(q.anonymousID, "anonymous_id", max: limits.anonymousIDBytesMax)
        try name(q.cursor, "cursor", max: 256)
    }

    public func validate(_ q: StatsQuery) throws(APIError) {
        try range(q.from, q.to)
        guard q.events.count <= Self.statsEventsMax else {
            throw Self.invalid("event", "at most \(Self.statsEventsMax) event filters are allowed", "too_many")
        }
        for (i, e) in q.events.enumerated() { try name(e, "event[\(i)]") }
        guard Set(q.groupBy).count == q.groupBy.count else {
            throw Self.invalid("group_by", "group_by names a column twice", "duplicate")
        }
    }

    public func validate(_ q: SourcesQuery) throws(APIError) {
        try range(q.from, q.to)
    }

    public func validate(_ q: UserQuery) throws(APIError) {
        guard !q.userID.isEmpty else { throw Self.invalid("user_id", "user_id must not be empty", "empty") }
        try name(q.userID, "user_id", max: limits.userIDBytesMax)
        try name(q.conversionEvent, "conversion_event")
        guard (1...1000).contains(q.preloginLimit) else {
            throw Self.invalid("prelogin_limit", "prelogin_limit must be from 1 to 1000", "out_of_range")
        }
    }

    public func validate(_ q: FunnelQuery) throws(APIError) {
        try range(q.from, q.to)
        let exposureStep = q.experiment?.exposureAsFirstStep == true
        let effective = q.steps.count + (exposureStep ? 1 : 0)
        guard effective >= Self.stepsMin && effective <= Self.stepsMax else {
            throw Self.invalid("steps", "a funnel has \(Self.stepsMin) to \(Self.stepsMax) steps (counting the exposure when it is step 1); got \(effective)", "out_of_range")
        }
        for (i, step) in q.steps.enumerated() {
            guard !step.event.isEmpty else { throw Self.invalid("steps[\(i)].event", "steps[\(i)].event must not be empty", "empty") }
            try name(step.event, "steps[\(i)].event")
            guard step.filters.count <= 64 else {
                throw Self.invalid("steps[\(i)].where", "at most 64 filters per step", "too_many")
            }
        }
        if !q.windows.isEmpty {
            guard q.windows.count == effective else {
                throw Self.invalid("windows", "windows needs one entry per step (\(effective)), got \(q.windows.count)", "wrong_length")
            }
            guard q.windows[0] == nil else {
                throw Self.invalid("windows[0]", "windows[0] must be null: the first step has no previous step", "not_null")
            }
            for (i, w) in q.windows.enumerated() where (w ?? 0) < 0 {
                throw Self.invalid("windows[\(i)]", "windows[\(i)] must not be negative", "negative")
            }
        }
        if let w = q.window, w < 0 { throw Self.invalid("window", "window must not be negative", "negative") }
        guard q.allowance >= 0 else { throw Self.invalid("allowance", "allowance must not be negative", "negative") }
        if let e = q.experiment {
            guard !e.name.isEmpty else { throw Self.invalid("experiment.name", "experiment.name must not be empty", "empty") }
            try name(e.name, "experiment.name", max: limits.stringBytesMax)
            if e.exposureAsFirstStep && q.count == .sessions {
                throw Self.invalid("experiment.exposure_as_first_step", "exposure_as_first_step cannot be combined with count=sessions", "incompatible")
            }
            if q.breakdown != nil {
                throw Self.invalid("breakdown", "an experiment funnel is already grouped by experiment group; breakdown cannot be combined with it", "incompatible")
            }
        }
        if case .property(let p) = q.breakdown {
            try name(p, "breakdown", max: limits.propertyKeyBytesMax)
        }
    }
}
