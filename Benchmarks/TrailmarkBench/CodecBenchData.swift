import TrailmarkWire

/// A realistic SDK batch: ~20 event names, 40 devices with one session each, a third of
/// them signed in, UUID event ids, page urls with utm parameters and referrers, and a
/// few typed properties per event. Deterministic for a seed.
enum CodecBenchData {
    static func batch(count: Int, seed: UInt64) -> [Event] {
        var rng = BenchRandom(seed: seed)
        let names = ["$pageview", "$identify", "signup_started", "signup_completed", "login", "logout", "add_to_cart",
                     "remove_from_cart", "checkout_started", "purchase", "search", "view_item", "share", "invite_sent",
                     "settings_changed", "plan_upgraded", "video_played", "video_paused", "download", "error_shown"]
        let pages = (0 ..< 30).map { "/products/item-\($0)" } + ["/", "/pricing", "/blog/launch", "/signup", "/checkout"]
        let campaigns = ["?utm_source=google&utm_medium=cpc&utm_campaign=spring_sale", "?utm_source=newsletter&utm_medium=email",
                         "?fbclid=IwAR2xYz", "", "", "", "?gclid=Cj0KCQ"]
        let referrers = [nil, "https://www.google.com/", "https://t.co/abc", "https://news.ycombinator.com/", "https://l.facebook.com/"]
        let devices = (0 ..< 40).map { i in
            (anon: uuid(&rng), session: uuid(&rng), user: i % 3 == 0 ? "user_\(1000 + i)@example.com" : nil,
             campaign: campaigns[i % campaigns.count], referrer: referrers[i % referrers.count])
        }
        var time: Int64 = 1_767_225_000_000_000
        return (0 ..< count).map { _ in
            let d = devices[Int(rng.next() % UInt64(devices.count))]
            time += Int64(rng.next() % 2_000_000)
            let page = pages[Int(rng.next() % UInt64(pages.count))]
            var props = Properties()
            if rng.next() % 2 == 0 { props.append(Property("plan", .string(["free", "pro", "team"][Int(rng.next() % 3)]))) }
            if rng.next() % 3 == 0 { props.append(Property("price", .double(Double(rng.next() % 500) + 0.99))) }
            if rng.next() % 3 == 0 { props.append(Property("quantity", .int(Int64(rng.next() % 5 + 1)))) }
            if rng.next() % 4 == 0 { props.append(Property("logged_in", .bool(d.user != nil))) }
            if rng.next() % 5 == 0 { props.append(Property("item_id", .string("sku-\(rng.next() % 500)"))) }
            props = Properties(props.entries.sorted { $0.key < $1.key })  // JSON objects come back key-sorted
            return Event(
                event: names[Int(rng.next() % UInt64(names.count))], anonymousID: d.anon, userID: d.user, timestamp: time,
                sessionID: d.session, eventID: uuid(&rng), url: "https://shop.example.com" + page + d.campaign, path: page,
                referrer: d.referrer, properties: props)
        }
    }

    /// A random version-4-shaped UUID string (lower-case, 36 characters).
    private static func uuid(_ rng: inout BenchRandom) -> String {
        let hex = Array("0123456789abcdef")
        var s = ""
        for i in 0 ..< 32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { s.append("-") }
            s.append(hex[Int(rng.next() & 15)])
        }
        return s
    }
}

/// SplitMix64, so the benchmark batch is the same on every run.
struct BenchRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
