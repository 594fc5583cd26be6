import TrailmarkWire

/// Renders query answers as API.md's JSON shapes. Field names here are a contract:
/// add freely, never rename or remove.
public enum JSONResponses {
    static func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func opt(_ d: Double?) -> JSONValue { d.map(JSONValue.double) ?? .null }
    static func time(_ t: Int64?) -> JSONValue { t.map { .string(TimeFormat.rfc3339($0)) } ?? .null }
    static func micros(_ t: Int64?) -> JSONValue { t.map(JSONValue.int) ?? .null }

    public static func property(_ v: PropertyValue) -> JSONValue {
        switch v {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .bool(let b): .bool(b)
        case .null: .null
        }
    }

    public static func properties(_ p: Properties) -> JSONValue {
        .object(p.entries.map { (key: $0.key, value: property($0.value)) })
    }

    /// One `/v1/query` row: every SEMANTICS §1 column plus `user` and `*_us` integers.
    public static func row(_ row: EventRow, project: String) -> JSONValue {
        let e = row.event
        let a = e.attribution
        return .object([
            (key: "project", value: .string(project)),
            (key: "event", value: .string(e.event)),
            (key: "anonymous_id", value: .string(e.anonymousID)),
            (key: "user_id", value: opt(e.userID)),
            (key: "user", value: opt(row.user)),
            (key: "timestamp", value: time(e.timestamp)),
            (key: "timestamp_us", value: micros(e.timestamp)),
            (key: "received_at", value: time(e.receivedAt)),
            (key: "received_at_us", value: micros(e.receivedAt)),
            (key: "session_id", value: opt(e.sessionID)),
            (key: "event_id", value: opt(e.eventID)),
            (key: "url", value: opt(e.url)),
            (key: "path", value: opt(e.path)),
            (key: "referrer", value: opt(e.referrer)),
            (key: "properties", value: properties(e.properties)),
            (key: "source", value: opt(a?.source)),
            (key: "medium", value: opt(a?.medium)),
            (key: "campaign", value: opt(a?.campaign)),
            (key: "source_rule", value: opt(a?.rule)),
            (key: "source_confidence", value: opt(a?.confidence.name)),
            (key: "seq", value: e.seq.map { .int(Int64(bitPattern: $0)) } ?? .null),
        ])
    }

    public static func events(_ page: EventsPage, project: String) -> JSONValue {
        .object([
            (key: "events", value: .array(page.rows.map { row($0, project: project) })),
            (key: "next_cursor", value: opt(page.nextCursor)),
        ])
    }

    public static func stats(_ result: StatsResult) -> JSONValue {
        let rows: [JSONValue] = result.rows.map { r in
            var members: [(key: String, value: JSONValue)] = [(key: "value", value: .int(Int64(r.value)))]
            for (field, value) in zip(result.groupBy, r.groups) {
                members.append((key: field.name, value: opt(value)))
            }
            if let bucket = r.bucket {
                members.append((key: "bucket", value: time(bucket)))
                members.append((key: "bucket_us", value: .int(bucket)))
            }
            return .object(members)
        }
        return .object([(key: "metric", value: .string(result.metric.name)), (key: "rows", value: .array(rows))])
    }

    public static func sources(_ result: SourcesResult) -> JSONValue {
        .object([(key: "sources", value: .array(result.rows.map { r in
            .object([
                (key: "source", value: .string(r.source)),
                (key: "medium", value: .string(r.medium)),
                (key: "campaign", value: opt(r.campaign)),
                (key: "events", value: .int(Int64(r.events))),
                (key: "uniques", value: .int(Int64(r.uniques))),
            ])
        }))])
    }

    public static func user(_ u: UserResult, project: String) -> JSONValue {
        let firstTouch: JSONValue = u.firstTouch.map { f in
            .object([
                (key: "event", value: .string(f.event)),
                (key: "timestamp", value: time(f.timestamp)),
                (key: "timestamp_us", value: .int(f.timestamp)),
                (key: "source", value: .string(f.source)),
                (key: "medium", value: .string(f.medium)),
                (key: "campaign", value: opt(f.campaign)),
            ])
        } ?? .null
        let conversion: JSONValue = u.conversionEvent.map { name in
            .object([
                (key: "event", value: .string(name)),
                (key: "us", value: micros(u.timeToConversion)),
                (key: "seconds", value: opt(u.timeToConversion.map { Double($0) / 1e6 })),
            ])
        } ?? .null
        return .object([
            (key: "user_id", value: .string(u.userID)),
            (key: "anonymous_ids", value: .array(u.anonymousIDs.map(JSONValue.string))),
            (key: "first_touch", value: firstTouch),
            (key: "prelogin", value: .array(u.prelogin.map { row($0, project: project) })),
            (key: "time_to_conversion", value: conversion),
        ])
    }

    /// The JSON of a funnel group key (API.md): null, the property value, `[source, medium]`
    /// or the experiment group name.
    public static func key(_ k: FunnelResult.GroupKey) -> JSONValue {
        switch k {
        case .all: .null
        case .property(let v): property(v)
        case .firstTouch(let source, let medium): .array([.string(source), .string(medium)])
        case .experimentGroup(let g): opt(g)
        }
    }

    static func comparison(_ c: FunnelResult.Comparison) -> JSONValue {
        .object([
            (key: "diff", value: opt(c.diff)),
            (key: "ci", value: .array([opt(c.ciLow), opt(c.ciHigh)])),
            (key: "p_value", value: opt(c.pValue)),
            (key: "lift", value: opt(c.lift)),
            (key: "lift_var", value: opt(c.liftVariance)),
        ])
    }

    public static func funnel(_ result: FunnelResult) -> JSONValue {
        let groups: [JSONValue] = result.groups.map { g in
            var members: [(key: String, value: JSONValue)] = [(key: "key", value: key(g.key))]
            if let exposed = g.exposed { members.append((key: "exposed", value: .int(Int64(exposed)))) }
            members.append((key: "steps", value: .array(g.steps.map { s in
                .object([
                    (key: "event", value: .string(s.event)),
                    (key: "reached", value: .int(Int64(s.reached))),
                    (key: "conversion", value: opt(s.conversion)),
                    (key: "overall", value: opt(s.overall)),
                ])
            })))
            let t = g.timeToComplete
            members.append((key: "time_to_complete", value: .object([
                (key: "n", value: .int(Int64(t.n))),
                (key: "mean_us", value: opt(t.mean)),
                (key: "median_us", value: opt(t.median)),
                (key: "p90_us", value: opt(t.p90)),
            ])))
            return .object(members)
        }
        var members: [(key: String, value: JSONValue)] = [(key: "groups", value: .array(groups))]
        if !result.comparisons.isEmpty {
            members.append((key: "comparisons", value: .array(result.comparisons.map { c in
                .object([
                    (key: "group", value: opt(c.group)),
                    (key: "steps", value: .array(c.steps.map { s in
                        .object([(key: "stepwise", value: comparison(s.stepwise)), (key: "overall", value: comparison(s.overall))])
                    })),
                ])
            })))
        }
        return .object(members)
    }

    public static func health(_ h: HealthResponse) -> JSONValue {
        .object([(key: "status", value: .string(h.status.name)), (key: "events", value: .int(Int64(h.events)))])
    }
}
