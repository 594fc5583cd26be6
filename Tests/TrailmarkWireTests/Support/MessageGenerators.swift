import TrailmarkWire

/// Seeded random instances of every wire message, covering every field and every optional
/// both present and absent (the round-trip and byte-by-byte tests use them).
extension SeededRandom {
    mutating func propertyValue() -> PropertyValue {
        switch int(0 ... 4) {
        case 0: .string(pick(["free", "pro", "", string()]))
        case 1: .int(int64())
        case 2: .double(double())
        case 3: .bool(chance(0.5))
        default: .null
        }
    }

    mutating func properties(max: Int = 5) -> Properties {
        var p = Properties()
        for _ in 0 ..< int(0 ... max) {
            let key = chance(0.7) ? pick(["plan", "price", "ok", "k", "é"]) : string(minChars: 1)
            if p[key] == nil { p.append(Property(key, propertyValue())) }
        }
        return p
    }

    mutating func attribution() -> Attribution {
        Attribution(
            source: pick(["google", "direct", "facebook", string()]), medium: pick(["paid", "organic", ""]),
            campaign: optional { $0.pick(["spring", "", "x"]) }, rule: pick(["utm", "direct", "click_id"]),
            confidence: pick(Attribution.Confidence.allCases))
    }

    mutating func event() -> Event {
        Event(
            event: pick(["$pageview", "signup", "purchase", "日本", string(minChars: 1)]),
            anonymousID: pick(["", "anon-1", "anon-2", string()]),
            userID: optional { $0.pick(["u1", "u2", $0.string(minChars: 1)]) },
            timestamp: optional(0.8) { 1_760_000_000_000_000 + $0.int64() / 3 },
            sessionID: optional { $0.pick(["s1", "s2", ""]) },
            eventID: optional { $0.string(maxChars: 36) },
            url: optional { "https://x.io/p?utm_source=\($0.string())" },
            path: optional { $0.pick(["/", "/pricing"]) },
            referrer: optional { $0.pick(["https://google.com/", ""]) },
            properties: properties(),
            receivedAt: optional(0.3) { $0.int64() },
            attribution: optional(0.3) { $0.attribution() },
            seq: optional(0.3) { UInt64(bitPattern: $0.int64()) })
    }

    mutating func events(max: Int = 20) -> [Event] { (0 ..< int(0 ... max)).map { _ in event() } }

    mutating func rows() -> [EventRow] {
        events(max: 6).map { EventRow(event: $0, user: optional { $0.pick(["u1", "u9"]) }) }
    }

    mutating func identify() -> Identify {
        Identify(anonymousID: string(), userID: string(), traits: properties(), timestamp: optional { $0.int64() },
                 seq: optional { UInt64(bitPattern: $0.int64()) }, receivedAt: optional { $0.int64() })
    }

    mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: int64()) }
    mutating func uint64() -> UInt64 { UInt64(bitPattern: int64()) }

    mutating func funnelQuery() -> FunnelQuery {
        let steps = (0 ..< int(0 ... 4)).map { _ in FunnelQuery.Step(event: string(), filters: properties(max: 2)) }
        return FunnelQuery(
            from: int64(), to: int64(), steps: steps, windows: (0 ..< int(0 ... 3)).map { _ in optional { $0.int64() } },
            window: optional { $0.int64() }, strict: chance(0.5), allowance: int64(), count: pick(CountMode.allCases),
            unit: pick(UnitKind.allCases), breakdown: optional { $0.chance(0.5) ? .firstTouch : .property($0.string()) },
            experiment: optional { FunnelQuery.Experiment(name: $0.string(), control: $0.pick(["control", "", "c"]), exposureAsFirstStep: $0.chance(0.5)) })
    }

    mutating func comparison() -> FunnelResult.Comparison {
        .init(diff: optional { $0.double() }, ciLow: optional { $0.double() }, ciHigh: optional { $0.double() },
              pValue: optional { $0.double() }, lift: optional { $0.double() }, liftVariance: optional { $0.double() })
    }

    mutating func funnelResult() -> FunnelResult {
        let keys: [FunnelResult.GroupKey] = [.all, .property(propertyValue()), .firstTouch(source: string(), medium: string()),
                                             .experimentGroup(optional { $0.string() })]
        let groups = (0 ..< int(0 ... 3)).map { _ in
            FunnelResult.Group(
                key: pick(keys), exposed: optional { $0.uint64() },
                steps: (0 ..< int(0 ... 3)).map { _ in .init(event: string(), reached: uint64(), conversion: optional { $0.double() }, overall: optional { $0.double() }) },
                timeToComplete: .init(n: chance(0.5) ? 0 : uint64(), mean: optional { $0.double() }, median: optional { $0.double() }, p90: optional { $0.double() }))
        }
        let comparisons = (0 ..< int(0 ... 2)).map { _ in
            FunnelResult.GroupComparison(group: optional { $0.string() }, steps: (0 ..< int(0 ... 2)).map { _ in .init(stepwise: comparison(), overall: comparison()) })
        }
        return FunnelResult(groups: groups, comparisons: comparisons)
    }

    /// One random instance of every catalogued message type, keyed by schema name.
    mutating func everyMessage() -> [(name: String, message: any WireMessage & Hashable)] {
        [
            ("EventBatch", EventBatch(events: events(), sentAt: optional { $0.int64() }, batchID: optional { $0.uint64() })),
            ("BatchAck", BatchAck(batchID: optional { $0.uint64() }, accepted: uint32(), duplicates: uint32(), eventIDs: (0 ..< int(0 ... 3)).map { _ in string() })),
            ("IdentifyBatch", IdentifyBatch(identifies: (0 ..< int(0 ... 4)).map { _ in identify() }, sentAt: optional { $0.int64() })),
            ("IdentifyAck", IdentifyAck(accepted: uint32())),
            ("ForgetRequest", ForgetRequest(userID: string())),
            ("ForgetResponse", ForgetResponse(eventsHidden: uint64())),
            ("EventsQuery", EventsQuery(from: int64(), to: int64(), event: optional { $0.string() }, source: optional { $0.string() },
                                        medium: optional { $0.string() }, userID: optional { $0.string() }, anonymousID: optional { $0.string() },
                                        limit: pick([100, 0, uint32()]), order: pick(SortOrder.allCases), cursor: optional { $0.string() })),
            ("EventsPage", EventsPage(rows: rows(), nextCursor: optional { $0.string() })),
            ("StatsQuery", StatsQuery(metric: pick(Metric.allCases), from: optional { $0.int64() }, to: optional { $0.int64() },
                                      events: (0 ..< int(0 ... 3)).map { _ in string() }, groupBy: (0 ..< int(0 ... 3)).map { _ in pick(GroupField.allCases) },
                                      interval: optional { $0.pick(Interval.allCases) }, unit: pick(UnitKind.allCases))),
            ("StatsResult", StatsResult(metric: pick(Metric.allCases), groupBy: [pick(GroupField.allCases)],
                                        rows: (0 ..< int(0 ... 3)).map { _ in StatsRow(value: uint64(), groups: (0 ..< int(0 ... 2)).map { _ in optional { $0.string() } }, bucket: optional { $0.int64() }) })),
            ("SourcesQuery", SourcesQuery(from: optional { $0.int64() }, to: optional { $0.int64() }, unit: pick(UnitKind.allCases))),
            ("SourcesResult", SourcesResult(rows: (0 ..< int(0 ... 3)).map { _ in SourcesRow(source: string(), medium: string(), campaign: optional { $0.string() }, events: uint64(), uniques: uint64()) })),
            ("UserQuery", UserQuery(userID: string(), conversionEvent: optional { $0.string() }, preloginLimit: pick([1000, 0, uint32()]))),
            ("UserResult", UserResult(userID: string(), anonymousIDs: (0 ..< int(0 ... 3)).map { _ in string() },
                                      firstTouch: optional { FirstTouch(event: $0.string(), timestamp: $0.int64(), source: $0.string(), medium: $0.string(), campaign: $0.optional { $0.string() }) },
                                      prelogin: rows(), conversionEvent: optional { $0.string() }, timeToConversion: optional { $0.int64() })),
            ("FunnelQuery", funnelQuery()),
            ("FunnelResult", funnelResult()),
            ("HealthRequest", HealthRequest()),
            ("HealthResponse", HealthResponse(status: pick(HealthResponse.Status.allCases), events: uint64())),
            ("StoredEventBatch", StoredEventBatch(project: string(), events: events())),
            ("StoredIdentifyBatch", StoredIdentifyBatch(project: string(), identifies: (0 ..< int(0 ... 4)).map { _ in identify() })),
            ("StoredForget", StoredForget(project: string(), userID: string(), requestedAt: int64())),
        ]
    }
}
