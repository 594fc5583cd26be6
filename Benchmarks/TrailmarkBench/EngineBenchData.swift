import Foundation
import TrailmarkEngine
import TrailmarkWire

/// Realistic synthetic traffic for the engine benchmark, held compactly (about 25 bytes a
/// row) so 10M events fit beside the engine: anonymous visitors with 1..60-event
/// journeys over 30 days, a funnel-shaped name mix of 20 names, a utm/referrer mix on the
/// first event, 5% of visitors identified (30% of users on a second device), 5% of
/// visitors with session ids. Rows are in log order (by timestamp); an identify is a row
/// with `name == identifyMarker`.
final class EngineBenchData: Sendable {
    static let names = [
        "$pageview", "view_item", "add_to_cart", "purchase", "search", "signup", "login", "click_cta", "scroll",
        "video_play", "share", "view_pricing", "open_menu", "filter", "sort", "remove_from_cart", "apply_coupon",
        "contact", "begin_checkout", "rate_item",
    ]
    static let identifyMarker: UInt8 = 255
    static let start: Int64 = 1_777_593_600_000_000  // 2026-05-01T00:00:00Z
    static let days: Int64 = 30
    static let day: Int64 = 86_400_000_000
    static let batchSize = 1000

    /// (url, referrer) pairs of first events with their weights, and the attribution of each.
    static let patternSpecs: [(url: String?, referrer: String?, weight: Int)] = [
        ("https://shop.example.com/", nil, 30),
        ("https://shop.example.com/", "https://www.google.com/", 20),
        ("https://shop.example.com/?fbclid=IwAR1", "https://l.facebook.com/", 6),
        ("https://shop.example.com/?fbclid=IwAR2", nil, 4),
        ("https://shop.example.com/", "https://m.facebook.com/", 8),
        ("https://shop.example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=may", nil, 7),
        ("https://shop.example.com/?gclid=Cj0", nil, 8),
        ("https://shop.example.com/", "https://old.reddit.com/r/shop", 5),
        ("https://shop.example.com/", "https://t.co/x", 4),
        ("https://shop.example.com/", "https://blog.partner.io/review", 8),
        ("https://shop.example.com/cart", "https://shop.example.com/item", 0),  // internal: later events
    ]

    let patterns: [(url: String?, referrer: String?, attribution: Attribution)]
    let ts: [Int64]
    let anon: [UInt32]
    let name: [UInt8]
    let user: [Int32]
    let session: [Bool]
    let pattern: [UInt8]
    let anonIDs: [String]
    let userIDs: [String]
    /// Log records: for record `r` (recordSeq `r + 1`), its first row and row count.
    let recordStart: [Int32]
    let recordCount: [Int32]
    /// The user with the most devices (the per-user lookup's subject).
    let busiestUser: Int32

    var rowCount: Int { ts.count }

    init(events target: Int, seed: UInt64) {
        var rng = BenchRandom(seed: seed)
        patterns = EngineBenchData.patternSpecs.map { ($0.url, $0.referrer, AttributionClassifier.classify(url: $0.url, referrer: $0.referrer)) }
        let totalWeight = EngineBenchData.patternSpecs.reduce(0) { $0 + $1.weight }
        var rows: [(ts: Int64, anon: UInt32, name: UInt8, user: Int32, session: Bool, pattern: UInt8)] = []
        rows.reserveCapacity(target + target / 20)
        var anonIDs: [String] = []
        var userIDs: [String] = []
        var devices: [Int32] = []
        while rows.count < target {
            let a = UInt32(anonIDs.count)
            anonIDs.append(BenchRandom.hex(rng.next()) + BenchRandom.hex(rng.next()))
            let length = min(1 + Int(-5.0 * log1p(-rng.unit())), 60)
            var t = EngineBenchData.start + Int64(rng.unit() * Double(EngineBenchData.days * EngineBenchData.day - 3 * EngineBenchData.day))
            var r = Int(rng.next() % UInt64(totalWeight))
            var first = 0
            for (i, p) in EngineBenchData.patternSpecs.enumerated() {
                if r < p.weight { first = i; break }
                r -= p.weight
            }
            let hasSession = rng.unit() < 0.05
            let identifyAt = rng.unit() < 0.05 ? Int(rng.next() % UInt64(length)) : -1
            var u: Int32 = -1
            var stage = 0
            for i in 0..<length {
                if i == identifyAt {
                    if !userIDs.isEmpty && rng.unit() < 0.3 {
                        u = Int32(rng.next() % UInt64(userIDs.count))
                    } else {
                        u = Int32(userIDs.count)
                        userIDs.append("user_\(userIDs.count)")
                        devices.append(0)
                    }
                    devices[Int(u)] += 1
                    rows.append((t, a, EngineBenchData.identifyMarker, u, false, 0))
                    t += 1
                }
                var n: UInt8
                if i == 0 {
                    n = 0
                } else if stage < 3 && rng.unit() < [0.5, 0.35, 0.3][stage] {
                    stage += 1
                    n = UInt8(stage)
                } else {
                    n = rng.unit() < 0.4 ? 0 : UInt8(4 + rng.next() % 16)
                }
                if n == 0 && stage == 0 && i > 0 && rng.unit() < 0.2 { n = 1 }
                rows.append((t, a, n, u, hasSession, i == 0 ? UInt8(first) : UInt8(EngineBenchData.patternSpecs.count - 1)))
                t += rng.unit() < 0.1 ? Int64(3_600_000_000 + rng.next() % 172_800_000_000) : Int64(5_000_000 + rng.next() % 600_000_000)
            }
        }
        // Log order: by timestamp (the sort is stable, so a journey keeps its order).
        let order = rows.indices.sorted { rows[$0].ts < rows[$1].ts }
        ts = order.map { rows[$0].ts }
        anon = order.map { rows[$0].anon }
        name = order.map { rows[$0].name }
        user = order.map { rows[$0].user }
        session = order.map { rows[$0].session }
        pattern = order.map { rows[$0].pattern }
        self.anonIDs = anonIDs
        self.userIDs = userIDs
        busiestUser = Int32(devices.indices.max { devices[$0] < devices[$1] } ?? 0)
        // Records: runs of up to `batchSize` events; each identify is a record of its own.
        var starts: [Int32] = [], counts: [Int32] = []
        var i = 0
        let names = order.map { rows[$0].name }
        while i < names.count {
            if names[i] == EngineBenchData.identifyMarker {
                starts.append(Int32(i))
                counts.append(1)
                i += 1
                continue
            }
            var j = i
            while j < names.count && j - i < EngineBenchData.batchSize && names[j] != EngineBenchData.identifyMarker { j += 1 }
            starts.append(Int32(i))
            counts.append(Int32(j - i))
            i = j
        }
        recordStart = starts
        recordCount = counts
    }

    func isIdentify(record r: Int) -> Bool { name[Int(recordStart[r])] == EngineBenchData.identifyMarker }

    /// A 36-character UUID-shaped event id, unique per row.
    static func eventID(_ row: Int) -> String {
        let h = BenchRandom.hex(UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
        return "0190" + String(h.prefix(4)) + "-" + String(h.dropFirst(4).prefix(4)) + "-7" + String(h.dropFirst(8).prefix(3)) + "-8"
            + String(h.dropFirst(11).prefix(3)) + "-" + String(BenchRandom.hex(UInt64(row)).suffix(12))
    }

    /// Values of the `category` property every `view_item` event carries (by visitor).
    static let categories = (0..<8).map { "category_\($0)" }

    /// The properties of row `row`: events of identified visitors carry `plan` (`pro` for
    /// even user numbers, else `free`); `view_item` events carry `category`.
    func properties(_ row: Int) -> Properties {
        var p = Properties()
        guard name[row] != EngineBenchData.identifyMarker else { return p }  // an identify's `$identify` has none
        if user[row] >= 0 { p.append(Property("plan", .string(user[row] % 2 == 0 ? "pro" : "free"))) }
        if name[row] == 1 { p.append(Property("category", .string(EngineBenchData.categories[Int(anon[row] % 8)]))) }
        return p
    }

    /// The stored event of row `row` (as the log holds it).
    func event(_ row: Int) -> Event {
        let p = patterns[Int(pattern[row])]
        let u = user[row]
        return Event(
            event: name[row] == EngineBenchData.identifyMarker ? "$identify" : EngineBenchData.names[Int(name[row])],
            anonymousID: anonIDs[Int(anon[row])], userID: u >= 0 ? userIDs[Int(u)] : nil, timestamp: ts[row],
            sessionID: session[row] ? "s" + anonIDs[Int(anon[row])].prefix(8) : nil,
            eventID: name[row] == EngineBenchData.identifyMarker ? nil : EngineBenchData.eventID(row),
            url: p.url, referrer: p.referrer, properties: properties(row), receivedAt: ts[row] + 150_000, attribution: p.attribution
        )
    }

    /// Record `r` (recordSeq `r + 1`) as the log stores it.
    func record(_ r: Int, project: String) -> (events: StoredEventBatch?, identifies: StoredIdentifyBatch?) {
        let start = Int(recordStart[r]), n = Int(recordCount[r])
        if isIdentify(record: r) {
            let e = event(start)
            return (nil, StoredIdentifyBatch(project: project, identifies: [Identify(anonymousID: e.anonymousID, userID: e.userID ?? "", timestamp: e.timestamp)]))
        }
        return (StoredEventBatch(project: project, events: (start..<start + n).map(event)), nil)
    }

    /// The log reader the engine uses instead of keeping large fields (seq → event).
    func fetch(seq: UInt64) -> Event? {
        let r = Int(seq >> 20) - 1, i = Int(seq & 0xFFFFF)
        guard r >= 0 && r < recordStart.count && i < recordCount[r] else { return nil }
        var e = event(Int(recordStart[r]) + i)
        e.seq = seq
        return e
    }
}

/// The engine benchmark's helpers on the shared SplitMix64 generator (`CodecBenchData.swift`).
extension BenchRandom {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
