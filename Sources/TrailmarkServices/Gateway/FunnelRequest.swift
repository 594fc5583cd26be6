import TrailmarkWire

/// Decodes `POST /v1/funnel`'s JSON body (API.md; SEMANTICS §4 and §5 in full).
public enum FunnelRequest {
    public static func decode(_ body: [UInt8]) throws(APIError) -> FunnelQuery {
        let root = try JSONRequests.parse(body)
        let r = try JSONObjectReader(root, path: "", code: .invalidQuery)
        guard let from = try r.time("from") else { throw QueryRequests.invalid("from", "from is required", "required") }
        guard let to = try r.time("to") else { throw QueryRequests.invalid("to", "to is required", "required") }
        guard let stepValues = try r.array("steps") else { throw QueryRequests.invalid("steps", "steps is required", "required") }
        var steps: [FunnelQuery.Step] = []
        for (i, v) in stepValues.enumerated() {
            let path = "steps[\(i)]"
            if case .string(let name) = v {
                steps.append(FunnelQuery.Step(event: name))
                continue
            }
            let s = try JSONObjectReader(v, path: path, code: .invalidQuery)
            steps.append(FunnelQuery.Step(event: try s.requiredString("event"), filters: try s.properties("where")))
        }
        var query = FunnelQuery(from: from, to: to, steps: steps)
        if let windows = try r.array("windows") {
            var parsed: [Int64?] = []
            for (i, w) in windows.enumerated() {
                parsed.append(w == .null ? nil : try JSONObjectReader.duration(w, path: "windows[\(i)]", code: .invalidQuery))
            }
            query.windows = parsed
        }
        query.window = try r.duration("window")
        query.strict = try r.bool("strict") ?? false
        query.allowance = try r.duration("allowance") ?? 0
        if let c = try r.string("count") {
            guard let mode = CountMode.allCases.first(where: { $0.name == c }) else {
                throw QueryRequests.invalid("count", "count must be units or sessions", "bad_enum")
            }
            query.count = mode
        }
        if let u = try r.string("unit") {
            guard let kind = UnitKind.allCases.first(where: { $0.name == u }) else {
                throw QueryRequests.invalid("unit", "unit must be user or anonymous", "bad_enum")
            }
            query.unit = kind
        }
        if let b = try r.string("breakdown") { query.breakdown = try breakdown(b, path: "breakdown") }
        if let e = r.raw("experiment") {
            let x = try JSONObjectReader(e, path: "experiment", code: .invalidQuery)
            query.experiment = FunnelQuery.Experiment(
                name: try x.requiredString("name"),
                control: try x.string("control") ?? "control",
                exposureAsFirstStep: try x.bool("exposure_as_first_step") ?? false
            )
        }
        return query
    }

    static func breakdown(_ text: String, path: String) throws(APIError) -> FunnelQuery.Breakdown {
        if text == "first_touch" { return .firstTouch }
        if text.hasPrefix("property:"), text.count > "property:".count {
            return .property(String(text.dropFirst("property:".count)))
        }
        throw QueryRequests.invalid(path, "breakdown must be property:NAME or first_touch", "bad_enum")
    }
}
