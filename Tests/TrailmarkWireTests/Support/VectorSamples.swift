import TrailmarkWire

/// The messages behind `Proto/vectors/`: one file pair per entry, named `<stem>.bin` /
/// `<stem>.json`. Together they exercise every field of every message, absent and present
/// optionals, every property value type, multi-byte varints and UTF-8, and defaults.
enum VectorSamples {
    static let t0: Int64 = 1_767_225_600_000_000  // 2026-01-01T00:00:00Z in microseconds

    static let pageview = Event(
        event: "$pageview", anonymousID: "a-7f3e", timestamp: t0, sessionID: "s-1", eventID: "0192f1c2-7b7e-7000-8000-000000000001",
        url: "https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=spring", path: "/",
        referrer: "https://www.google.com/", properties: ["plan": .string("pro"), "price": .double(12.5), "qty": .int(-3),
                                                          "new": .bool(true), "coupon": .null])
    static let signup = Event(
        event: "signup", anonymousID: "a-7f3e", userID: "user-42", timestamp: t0 + 1_500_000, sessionID: "s-1",
        properties: ["plan": .string("pro"), "名前": .string("日本🙂")])
    static let serverSide = Event(event: "purchase", userID: "user-42", properties: ["price": .double(99.99)])
    static let stored = Event(
        event: "purchase", anonymousID: "a-7f3e", userID: "user-42", timestamp: t0 + 60_000_000, sessionID: "s-1",
        eventID: "e-3", url: "https://shop.example/checkout", path: "/checkout", properties: ["qty": .int(2)],
        receivedAt: t0 + 60_250_000,
        attribution: Attribution(source: "google", medium: "paid", campaign: "spring", rule: "utm_paid", confidence: .high),
        seq: 5 << 20)

    static let all: [(stem: String, type: String, message: any WireMessage & Hashable)] = [
        ("EventBatch", "EventBatch", EventBatch(events: [pageview, signup, serverSide], sentAt: t0 + 2_000_000, batchID: 300)),
        ("EventBatch-empty", "EventBatch", EventBatch(events: [])),
        ("EventBatch-small", "EventBatch", EventBatch(events: [  // the worked example of WIRE.md § 6.7
            Event(event: "view", anonymousID: "a1", timestamp: 1_000_000, properties: ["plan": .string("pro")]),
            Event(event: "buy", anonymousID: "a1", userID: "u1", properties: ["n": .int(-2), "plan": .string("pro")]),
        ], sentAt: 1_000_500)),
        ("BatchAck", "BatchAck", BatchAck(batchID: 300, accepted: 2, duplicates: 1, eventIDs: ["0192f1c2-7b7e-7000-8000-000000000001", "e-2", "e-3"])),
        ("IdentifyBatch", "IdentifyBatch", IdentifyBatch(
            identifies: [Identify(anonymousID: "a-7f3e", userID: "user-42", traits: ["email": .string("ada@example.com"), "age": .int(36)], timestamp: t0),
                         Identify(anonymousID: "a-9", userID: "user-43")],
            sentAt: t0)),
        ("IdentifyAck", "IdentifyAck", IdentifyAck(accepted: 2)),
        ("ForgetRequest", "ForgetRequest", ForgetRequest(userID: "user-42")),
        ("ForgetResponse", "ForgetResponse", ForgetResponse(eventsHidden: 1_234)),
        ("EventsQuery", "EventsQuery", EventsQuery(
            from: t0, to: t0 + 86_400_000_000, event: "signup", source: "google", medium: "paid", userID: "user-42",
            anonymousID: "a-7f3e", limit: 500, order: .descending, cursor: "c1")),
        ("EventsQuery-defaults", "EventsQuery", EventsQuery(from: -1, to: .max)),
        ("EventsPage", "EventsPage", EventsPage(rows: [EventRow(event: stored, user: "user-42"), EventRow(event: pageview, user: nil)], nextCursor: "c2")),
        ("StatsQuery", "StatsQuery", StatsQuery(
            metric: .uniques, from: t0, to: t0 + 7 * 86_400_000_000, events: ["signup", "purchase"], groupBy: [.source, .medium],
            interval: .day, unit: .anonymous)),
        ("StatsResult", "StatsResult", StatsResult(
            metric: .uniques, groupBy: [.event, .campaign],
            rows: [StatsRow(value: 17, groups: ["signup", nil], bucket: t0), StatsRow(value: 0, groups: ["purchase", "spring"], bucket: t0 + 86_400_000_000)])),
        ("SourcesQuery", "SourcesQuery", SourcesQuery(from: t0, to: nil, unit: .user)),
        ("SourcesResult", "SourcesResult", SourcesResult(rows: [
            SourcesRow(source: "google", medium: "paid", campaign: "spring", events: 120, uniques: 40),
            SourcesRow(source: "direct", medium: "direct", campaign: nil, events: 7, uniques: 0)])),
        ("UserQuery", "UserQuery", UserQuery(userID: "user-42", conversionEvent: "purchase", preloginLimit: 50)),
        ("UserResult", "UserResult", UserResult(
            userID: "user-42", anonymousIDs: ["a-7f3e", "a-9"],
            firstTouch: FirstTouch(event: "$pageview", timestamp: t0, source: "google", medium: "paid", campaign: "spring"),
            prelogin: [EventRow(event: pageview, user: "user-42")], conversionEvent: "purchase", timeToConversion: 60_000_000)),
        ("FunnelQuery", "FunnelQuery", FunnelQuery(
            from: t0, to: t0 + 30 * 86_400_000_000,
            steps: [.init(event: "$pageview", filters: ["path": .string("/pricing"), "coupon": .null]), .init(event: "signup"),
                    .init(event: "purchase", filters: ["qty": .int(1), "gift": .bool(false), "price": .double(9.5)])],
            windows: [nil, 1_800_000_000, nil], window: 7 * 86_400_000_000, strict: true, allowance: 1_000_000,
            count: .sessions, unit: .anonymous, breakdown: .property("plan"), experiment: nil)),
        ("FunnelQuery-experiment", "FunnelQuery", FunnelQuery(
            from: t0, to: t0 + 86_400_000_000, steps: [.init(event: "signup"), .init(event: "purchase")],
            breakdown: .firstTouch, experiment: .init(name: "checkout_v2", control: "A", exposureAsFirstStep: true))),
        ("FunnelResult", "FunnelResult", FunnelResult(
            groups: [
                .init(key: .all, steps: [.init(event: "signup", reached: 10, conversion: 1, overall: 1),
                                         .init(event: "purchase", reached: 0, conversion: 0, overall: nil)],
                      timeToComplete: .init(n: 0, mean: nil, median: nil, p90: nil)),
                .init(key: .property(.string("pro")), steps: [.init(event: "signup", reached: 4, conversion: 1, overall: 1)],
                      timeToComplete: .init(n: 4, mean: 1.5e6, median: 1e6, p90: 3.25e6)),
                .init(key: .firstTouch(source: "google", medium: "paid"), steps: [], timeToComplete: .init(n: 0, mean: nil, median: nil, p90: nil)),
                .init(key: .experimentGroup("B"), exposed: 50, steps: [.init(event: "$exposure", reached: 50, conversion: 0.5, overall: 1)],
                      timeToComplete: .init(n: 1, mean: 2, median: 2, p90: 2)),
                .init(key: .experimentGroup(nil), exposed: 0, steps: [], timeToComplete: .init(n: 0, mean: nil, median: nil, p90: nil)),
            ],
            comparisons: [.init(group: "B", steps: [
                .init(stepwise: .init(diff: 0.125, ciLow: -0.25, ciHigh: 0.5, pValue: 0.5, lift: 0.25, liftVariance: 0.0625),
                      overall: .init(diff: nil, ciLow: nil, ciHigh: nil, pValue: nil, lift: nil, liftVariance: nil))])])),
        ("HealthRequest", "HealthRequest", HealthRequest()),
        ("HealthResponse", "HealthResponse", HealthResponse(status: .replaying, events: 1_000_000)),
        ("StoredEventBatch", "StoredEventBatch", StoredEventBatch(project: "proj_1", events: [stored, signup])),
        ("StoredIdentifyBatch", "StoredIdentifyBatch", StoredIdentifyBatch(
            project: "proj_1", identifies: [Identify(anonymousID: "a-7f3e", userID: "user-42", traits: ["vip": .bool(true)], timestamp: t0, seq: 9 << 20,
                                                         receivedAt: t0 + 250_000)])),
        ("StoredForget", "StoredForget", StoredForget(project: "proj_1", userID: "user-42", requestedAt: t0 + 3_600_000_000)),
    ]
}
