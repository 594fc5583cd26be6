import Testing
@testable import TrailmarkWire

/// The attribution columns remember recent attributions instead of interning their
/// strings again; what is stored must still be every event's exact bytes.
@Suite struct AttributionColumnsTests {
    static func utf8(_ a: Attribution?) -> [[UInt8]]? {
        a.map { [Array($0.source.utf8), Array($0.medium.utf8), $0.campaign.map { Array($0.utf8) } ?? [0xFF], Array($0.rule.utf8), [$0.confidence.rawValue]] }
    }

    /// Canonically equivalent strings ("é" and "e" + U+0301) are `==` in Swift but must
    /// keep their own bytes; more distinct attributions than are remembered cycle through.
    static let attributions: [Attribution?] = {
        var list: [Attribution?] = [
            Attribution(source: "caf\u{E9}", medium: "paid", campaign: nil, rule: "utm", confidence: .high),
            Attribution(source: "cafe\u{301}", medium: "paid", campaign: nil, rule: "utm", confidence: .high),
            Attribution(source: "caf\u{E9}", medium: "paid", campaign: "", rule: "utm", confidence: .high),
            Attribution(source: "caf\u{E9}", medium: "paid", campaign: nil, rule: "utm", confidence: .low),
            nil,
        ]
        for k in 0..<7 { list.append(Attribution(source: "s\(k)", medium: k % 2 == 0 ? "cpc" : "", campaign: k % 3 == 0 ? "c\(k)" : nil, rule: "r", confidence: .medium)) }
        return list
    }()

    @Test func everyEventKeepsItsExactAttributionBytes() throws {
        var rng = SeededRandom(seed: 77)
        let events = (0..<600).map { i in
            Event(event: "e", anonymousID: "a\(i % 5)", attribution: Self.attributions[rng.int(0 ... Self.attributions.count - 1)])
        }
        for encoded in [StoredEventBatch(project: "p", events: events).encoded()] {
            let decoded = try StoredEventBatch(decoding: encoded, limits: .logRecords)
            #expect(decoded.events.count == events.count)
            for (i, e) in events.enumerated() {
                #expect(Self.utf8(decoded.events[i].attribution) == Self.utf8(e.attribution), "event \(i)")
            }
        }
    }

    /// The dictionary stays canonical: each distinct byte string once, and the encoding a
    /// function of the events alone (WIRE.md § 4).
    @Test func theDictionaryHoldsEachStringOnce() throws {
        let events = (0..<40).map { i in Event(event: "e", anonymousID: "a", attribution: Self.attributions[i % Self.attributions.count]) }
        let once = StoredEventBatch(project: "p", events: events).encoded()
        for text in ["caf\u{E9}", "cafe\u{301}", "paid", "utm", "cpc", "s0", "s5", "c3", "c6"] {
            let needle = Array(text.utf8)
            let hits = (0...(once.count - needle.count)).filter { once[$0..<($0 + needle.count)].elementsEqual(needle) }.count
            #expect(hits == 1, "\(text) is stored \(hits) times")
        }
        let again = try StoredEventBatch(decoding: once, limits: .logRecords).encoded()
        #expect(once == again)
    }
}
