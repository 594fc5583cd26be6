import TrailmarkWire

/// Decodes the read endpoints' query strings (API.md § Read endpoints) into query messages.
/// Every result is then checked by `QueryValidator`, which the binary RPC shares.
public enum QueryRequests {
    /// `GET /v1/query`.
    public static func events(_ q: QueryString) throws(APIError) -> EventsQuery {
        var query = EventsQuery(from: try requiredTime(q, "from"), to: try requiredTime(q, "to"))
        query.event = q["event"]
        query.source = q["source"]
        query.medium = q["medium"]
        query.userID = q["user_id"]
        query.anonymousID = q["anonymous_id"]
        if let limit = q["limit"] {
            guard let n = UInt32(limit) else { throw invalid("limit", "limit must be an integer from 1 to 10000", "bad_number") }
            query.limit = n
        }
        if let order = q["order"] {
            guard let o = SortOrder.allCases.first(where: { $0.name == order }) else {
                throw invalid("order", "order must be asc or desc", "bad_enum")
            }
            query.order = o
        }
        query.cursor = q["cursor"]
        return query
    }

    /// `GET /v1/stats`.
    public static func stats(_ q: QueryString) throws(APIError) -> StatsQuery {
        guard let metricName = q["metric"] else { throw invalid("metric", "metric is required (count or uniques)", "required") }
        guard let metric = Metric.allCases.first(where: { $0.name == metricName }) else {
            throw invalid("metric", "metric must be count or uniques", "bad_enum")
        }
        var query = StatsQuery(metric: metric, from: try time(q, "from"), to: try time(q, "to"))
        query.events = q.all("event")
        if let groups = q["group_by"] {
            for name in groups.split(separator: ",") {
                guard let g = GroupField.allCases.first(where: { $0.name == name }) else {
                    throw invalid("group_by", "group_by takes event, source, medium, campaign; not \(name.prefix(64))", "bad_enum")
                }
                query.groupBy.append(g)
            }
        }
        if let interval = q["interval"] {
            guard let i = Interval.allCases.first(where: { $0.name == interval }) else {
                throw invalid("interval", "interval must be hour, day or week", "bad_enum")
            }
            query.interval = i
        }
        query.unit = try unit(q)
        return query
    }

    /// `GET /v1/sources`.
    public static func sources(_ q: QueryString) throws(APIError) -> SourcesQuery {
        SourcesQuery(from: try time(q, "from"), to: try time(q, "to"), unit: try unit(q))
    }

    /// `GET /v1/users/{user_id}`.
    public static func user(id: String, _ q: QueryString) throws(APIError) -> UserQuery {
        UserQuery(userID: id, conversionEvent: q["conversion_event"])
    }

    /// `GET /v1/funnel?steps=a,b,c&from=…&to=…` (the simple form; POST takes JSON).
    public static func funnel(_ q: QueryString) throws(APIError) -> FunnelQuery {
        guard let stepList = q["steps"] else { throw invalid("steps", "steps is required (a,b,c)", "required") }
        var query = FunnelQuery(
            from: try requiredTime(q, "from"), to: try requiredTime(q, "to"),
            steps: stepList.split(separator: ",", omittingEmptySubsequences: false).map { FunnelQuery.Step(event: String($0)) }
        )
        if let windows = q["windows"] {
            var parsed: [Int64?] = []
            for (i, w) in windows.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                if w.isEmpty || w == "null" { parsed.append(nil); continue }
                guard let d = TimeFormat.parseDuration(String(w)) else {
                    throw invalid("windows[\(i)]", "windows[\(i)] is not a duration", "bad_duration")
                }
                parsed.append(d)
            }
            query.windows = parsed
        }
        if let w = q["window"] {
            guard let d = TimeFormat.parseDuration(w) else { throw invalid("window", "window is not a duration", "bad_duration") }
            query.window = d
        }
        if let s = q["strict"] { query.strict = try bool(s, "strict") }
        if let a = q["allowance"] {
            guard let d = TimeFormat.parseDuration(a) else { throw invalid("allowance", "allowance is not a duration", "bad_duration") }
            query.allowance = d
        }
        if let c = q["count"] {
            guard let mode = CountMode.allCases.first(where: { $0.name == c }) else {
                throw invalid("count", "count must be units or sessions", "bad_enum")
            }
            query.count = mode
        }
        query.unit = try unit(q)
        if let b = q["breakdown"] { query.breakdown = try FunnelRequest.breakdown(b, path: "breakdown") }
        if let name = q["experiment"] {
            query.experiment = FunnelQuery.Experiment(
                name: name, control: q["control"] ?? "control",
                exposureAsFirstStep: try q["exposure_as_first_step"].map { v throws(APIError) in try bool(v, "exposure_as_first_step") } ?? false
            )
        }
        return query
    }

    static func invalid(_ field: String, _ message: String, _ reason: String) -> APIError {
        APIError(.invalidQuery, message, field: field, reason: reason)
    }

    static func time(_ q: QueryString, _ key: String) throws(APIError) -> Int64? {
        guard let text = q[key] else { return nil }
        if let micros = Int64(text) { return micros }
        guard let t = TimeFormat.parseRFC3339(text) else {
            throw invalid(key, "\(key) is not an RFC 3339 time or integer microseconds: \(text.prefix(64))", "bad_time")
        }
        return t
    }

    static func requiredTime(_ q: QueryString, _ key: String) throws(APIError) -> Int64 {
        guard let t = try time(q, key) else { throw invalid(key, "\(key) is required", "required") }
        return t
    }

    static func unit(_ q: QueryString) throws(APIError) -> UnitKind {
        guard let u = q["unit"] else { return .user }
        guard let kind = UnitKind.allCases.first(where: { $0.name == u }) else {
            throw invalid("unit", "unit must be user or anonymous", "bad_enum")
        }
        return kind
    }

    static func bool(_ text: String, _ key: String) throws(APIError) -> Bool {
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw invalid(key, "\(key) must be true or false", "wrong_type")
        }
    }
}
