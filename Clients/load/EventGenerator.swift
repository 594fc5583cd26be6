import TrailmarkSDK
import TrailmarkWire

/// A seeded, fast pseudo-random generator (SplitMix64), so every stream's traffic is
/// reproducible from `--seed` and generation stays off the critical path.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Realistic product traffic for one stream: a pool of visitors, each walking a
/// page_view → view_product → add_to_cart → signup → checkout → purchase funnel with
/// drop-off, in sessions, arriving through a mix of utm / click-id / referrer sources, and
/// becoming identified (`user_id`) from `signup` on.
///
/// Event ids are `<run>-<stream>-<batch, 10 digits>-<index>`: unique per run, they let the
/// verifier map every stored row back to the batch that carried it, and their fixed width
/// lets a `BatchTemplate` rewrite the batch part in the encoded bytes.
struct EventGenerator {
    struct Visitor {
        var anonymousID: String
        var userID: String?
        var sessionID: String
        var stage: Int
        var landing: Int
    }

    static let funnel = ["page_view", "view_product", "add_to_cart", "signup", "checkout", "purchase"]
    /// Probability (per mille) of moving one stage on from each stage.
    static let advancePerMille = [600, 450, 500, 400, 600, 0]
    static let landings: [(url: String, referrer: String?)] = [
        ("https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=spring", "https://www.google.com/"),
        ("https://shop.example.com/?gclid=abc123", "https://www.google.com/"),
        ("https://shop.example.com/?fbclid=xyz", "https://l.facebook.com/"),
        ("https://shop.example.com/?utm_source=newsletter&utm_medium=email", nil),
        ("https://shop.example.com/pricing", "https://duckduckgo.com/"),
        ("https://shop.example.com/", "https://t.co/abc"),
        ("https://shop.example.com/", nil),
        ("https://shop.example.com/blog/launch", "https://news.ycombinator.com/"),
    ]
    static let paths = ["/", "/pricing", "/product/42", "/cart", "/signup", "/checkout", "/thanks"]

    let run: String
    let stream: Int
    var random: SplitMix64
    var visitors: [Visitor]
    let properties: [Properties]
    /// Identify calls made by visitors who signed up since the last `takeIdentifies()`.
    var identifies: [Identify] = []

    init(run: String, stream: Int, seed: UInt64, visitors count: Int = 2_000) {
        self.run = run
        self.stream = stream
        random = SplitMix64(state: seed &+ UInt64(stream) &* 0x1000_0001)
        var pool: [Visitor] = []
        pool.reserveCapacity(count)
        for i in 0..<count {
            pool.append(Visitor(anonymousID: "a-\(run)-\(stream)-\(i)", userID: nil, sessionID: "s-\(stream)-\(i)-0",
                                stage: 0, landing: i % Self.landings.count))
        }
        visitors = pool
        properties = [
            ["plan": .string("free")],
            ["plan": .string("pro"), "price": .double(29.0)],
            ["sku": .string("tm-42"), "qty": .int(1)],
            ["sku": .string("tm-7"), "qty": .int(3), "gift": .bool(true)],
            [:],
        ]
    }

    /// The events of batch `seq`: `count` events stamped `now` (µs since the epoch).
    mutating func batch(seq: UInt64, count: Int, now: Int64) -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(count)
        let idPrefix = idPrefix(seq: seq)
        for i in 0..<count {
            // The visitor is updated in place: a copy would retain and release its strings
            // for every event (about 9% of the harness's CPU).
            let v = Int(random.next() % UInt64(visitors.count))
            let roll = Int(random.next() % 1000)
            if roll < Self.advancePerMille[visitors[v].stage] {
                visitors[v].stage += 1
            } else if roll > 960 {  // the session ends: a new one starts at the top of the funnel
                visitors[v].stage = 0
                visitors[v].sessionID = "s-\(stream)-\(v)-\(seq)"
                visitors[v].landing = Int(random.next() % UInt64(Self.landings.count))
            }
            let stage = visitors[v].stage
            let name = Self.funnel[stage]
            if name == "signup", visitors[v].userID == nil {
                let user = "u-\(run)-\(stream)-\(v)"
                visitors[v].userID = user
                identifies.append(Identify(anonymousID: visitors[v].anonymousID, userID: user,
                                           traits: ["plan": .string("free")], timestamp: now))
            }
            let landing = Self.landings[visitors[v].landing]
            let first = stage == 0
            events.append(Event(
                event: name, anonymousID: visitors[v].anonymousID, userID: visitors[v].userID, timestamp: now,
                sessionID: visitors[v].sessionID, eventID: idPrefix + String(i),
                url: first ? landing.url : nil, path: Self.paths[min(stage, Self.paths.count - 1)],
                referrer: first ? landing.referrer : nil,
                properties: properties[Int(random.next() % UInt64(properties.count))]))
        }
        return events
    }

    /// The part of batch `seq`'s event ids before the event's index.
    func idPrefix(seq: UInt64) -> String {
        "\(run)-\(stream)-\(BatchTemplate.paddedSeq(Int(seq)))-"
    }

    /// The oldest identifies gathered so far (at most `max`), removed from the list.
    mutating func takeIdentifies(max: Int = 1000) -> [Identify] {
        let taken = Array(identifies.prefix(max))
        identifies.removeFirst(taken.count)  // the rest go with the next call
        return taken
    }

    /// Parses an event id of this run: `(stream, batch, index)`, or nil for another run's.
    static func parse(eventID: String, run: String) -> (stream: Int, batch: Int, index: Int)? {
        let parts = eventID.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == run, let s = Int(parts[1]), let b = Int(parts[2]), let i = Int(parts[3]) else { return nil }
        return (s, b, i)
    }
}
