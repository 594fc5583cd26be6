import TrailmarkWire

/// SplitMix64: a tiny seeded generator, so every property-test case is reproducible.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &self)] }
}

/// A log of records in the order they were written (what replay feeds the engine).
enum GeneratedRecord {
    case events(StoredEventBatch, UInt64)
    case identifies(StoredIdentifyBatch, UInt64)
    case forget(StoredForget, UInt64)
}

/// Random data sets with the hard cases of SEMANTICS §1–§5: timestamp ties, identifies
/// before and after events, account switches on one device, users on several devices,
/// duplicate event ids, events with and without session ids around 30-minute gaps,
/// exposures with and without a group, and forgets.
struct DataGenerator {
    static let project = "p"
    static let base: Int64 = 1_777_593_600_000_000  // 2026-05-01T00:00:00Z
    static let minute: Int64 = 60_000_000
    static let names = ["$pageview", "view", "cta", "signup", "buy", "$exposure"]
    static let attributions = [
        Attribution(source: "facebook", medium: "paid", campaign: "spring", rule: "fbclid", confidence: .medium),
        Attribution(source: "facebook", medium: "social", campaign: nil, rule: "facebook_referrer", confidence: .medium),
        Attribution(source: "google", medium: "organic", campaign: nil, rule: "search_referrer", confidence: .medium),
        Attribution(source: "direct", medium: "direct", campaign: nil, rule: "direct", confidence: .high),
        Attribution(source: "news\"letter", medium: "email", campaign: "Q2", rule: "utm", confidence: .high),
    ]
    static let planValues: [PropertyValue?] = [nil, .null, .string("pro"), .string("free"), .int(1), .double(1), .bool(true)]

    var rng: SeededRandom
    let anonCount: Int
    let userCount: Int

    init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
        anonCount = Int.random(in: 2...9, using: &rng)
        userCount = Int.random(in: 1...5, using: &rng)
    }

    mutating func time() -> Int64 {
        // Coarse grids make ties likely; spans of days cross day/week buckets.
        let grid = rng.pick([DataGenerator.minute, 10 * DataGenerator.minute, 3_600_000_000, 1])
        let span = rng.pick([90 * DataGenerator.minute, 2 * 24 * 60 * DataGenerator.minute, 9 * 24 * 60 * DataGenerator.minute])
        return DataGenerator.base + Int64.random(in: 0..<span, using: &rng) / grid * grid
    }

    mutating func anon() -> String { rng.chance(0.05) ? "" : "a\(Int.random(in: 0..<anonCount, using: &rng))" }
    mutating func user() -> String { "u\(Int.random(in: 0..<userCount, using: &rng))" }

    mutating func event(usedIDs: inout [String]) -> Event {
        let name = rng.pick(DataGenerator.names)
        var anonymousID = anon()
        var userID: String? = rng.chance(0.25) ? user() : nil
        if anonymousID.isEmpty && userID == nil { userID = user() }
        if rng.chance(0.1) { anonymousID = "" ; userID = userID ?? user() }
        var properties = Properties()
        if let v = rng.pick(DataGenerator.planValues) { properties.append(Property("plan", v)) }
        if name == "$exposure" {
            properties.append(Property("experiment", .string(rng.chance(0.8) ? "exp1" : "exp2")))
            if let g = rng.pick([PropertyValue?.none, .string("control"), .string("control"), .string("treat"), .string("b"), .null, .int(2)]) {
                properties.append(Property("group", g))
            }
        }
        var eventID: String?
        if rng.chance(0.6) {
            if !usedIDs.isEmpty && rng.chance(0.15) {
                eventID = rng.pick(usedIDs)
            } else {
                eventID = "e\(usedIDs.count)"
                usedIDs.append(eventID!)  // just assigned
            }
        }
        return Event(
            event: name, anonymousID: anonymousID, userID: userID, timestamp: time(),
            sessionID: rng.chance(0.3) ? "s\(Int.random(in: 0..<3, using: &rng))" : nil, eventID: eventID,
            url: rng.chance(0.3) ? "https://shop.example.com/p?x=\(Int.random(in: 0..<9, using: &rng))" : nil,
            path: rng.chance(0.3) ? "/p" : nil, referrer: rng.chance(0.2) ? "https://google.com/" : nil,
            properties: properties, receivedAt: rng.chance(0.5) ? time() : nil,
            attribution: rng.pick(DataGenerator.attributions)
        )
    }

    /// A whole log: batches of events and identifies with increasing record numbers,
    /// sometimes a forget.
    mutating func log(forgetChance: Double = 0.04) -> [GeneratedRecord] {
        var records: [GeneratedRecord] = []
        var usedIDs: [String] = []
        var previousIdentifies: [Identify] = []
        var recordSeq = UInt64.random(in: 1...50, using: &rng)
        let batches = Int.random(in: 3...14, using: &rng)
        for _ in 0..<batches {
            recordSeq += UInt64.random(in: 1...3, using: &rng)
            if rng.chance(0.3) {
                let n = Int.random(in: 1...3, using: &rng)
                var ids = (0..<n).map { _ in Identify(anonymousID: "a\(Int.random(in: 0..<anonCount, using: &rng))", userID: user(), timestamp: time()) }
                // Records with an odd number carry a received time; the others are as
                // written before `received_at` existed (no rng draw: the data stays put).
                for i in ids.indices where recordSeq % 2 == 1 {
                    ids[i].receivedAt = ids[i].timestamp.map { $0 + Int64(recordSeq % 7) * DataGenerator.minute }
                }
                // Every third identify batch resends an earlier identify (a retry after a
                // lost acknowledgement); chosen from the record seq, so no rng draw.
                if recordSeq % 3 == 0, let again = previousIdentifies.first { ids.append(again) }
                previousIdentifies += ids
                records.append(.identifies(StoredIdentifyBatch(project: DataGenerator.project, identifies: ids), recordSeq))
            } else if rng.chance(forgetChance) {
                records.append(.forget(StoredForget(project: DataGenerator.project, userID: user(), requestedAt: 0), recordSeq))
            } else {
                let n = Int.random(in: 1...25, using: &rng)
                var events: [Event] = []
                for _ in 0..<n { events.append(event(usedIDs: &usedIDs)) }
                records.append(.events(StoredEventBatch(project: DataGenerator.project, events: events), recordSeq))
            }
        }
        return records
    }
}
