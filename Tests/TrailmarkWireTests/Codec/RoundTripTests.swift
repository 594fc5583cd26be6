import Testing
import TrailmarkWire

/// Seeded random messages of every type encode and decode back to equal values, through
/// `[UInt8]`, borrowed buffers and gRPC framing alike.
@Suite struct RoundTripTests {
    private func roundTrip<M: WireMessage & Hashable>(_ message: M, seed: UInt64, name: String) throws {
        let bytes = message.encoded()
        let decoded = try M(decoding: bytes)
        #expect(decoded == message, "seed \(seed): \(name) did not round-trip")
        #expect(decoded.encoded() == bytes, "seed \(seed): \(name) re-encoding differs")
        let viaBuffer = try bytes.withUnsafeBytes { raw throws(WireError) in try M(decoding: raw) }
        #expect(viaBuffer == message)
        let framed = message.framed()
        #expect(framed == MessageFraming.framed(bytes))
        #expect(try M(framed: framed) == message)
    }

    @Test(arguments: 0 ..< 200 as Range<UInt64>)
    func everyMessageRoundTrips(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for (name, message) in rng.everyMessage() {
            try roundTrip(message, seed: seed, name: name)
        }
    }

    @Test func catalogueCoversEveryGeneratedType() {
        var rng = SeededRandom(seed: 1)
        let generated = Set(rng.everyMessage().map(\.name))
        #expect(generated == Set(WireMessageCatalog.all.map(\.name)))
        for (name, type) in WireMessageCatalog.all { #expect(WireMessageCatalog.type(named: name) == type) }
    }

    @Test func largeBatchRoundTripsAndSharesDictionaryStrings() throws {
        let events = (0 ..< 5_000).map { i in
            Event(event: "page_\(i % 20)", anonymousID: "anon-\(i % 50)", timestamp: 1_760_000_000_000_000 + Int64(i) * 1_000,
                  sessionID: "s-\(i % 50)", eventID: "id-\(i)", url: "https://shop.example/p/\(i % 100)",
                  properties: ["plan": .string(i % 2 == 0 ? "pro" : "free"), "n": .int(Int64(i))])
        }
        let batch = EventBatch(events: events, sentAt: 1_760_000_000_500_000, batchID: 7)
        let bytes = batch.encoded()
        #expect(try EventBatch(decoding: bytes) == batch)
        // Each distinct string is stored once; per event only references remain: name,
        // anonymous id, session 1 byte each, event id and url 2, timestamp delta 2, property
        // count 1, keys 2, "plan" kind + reference 2, "n" kind + zigzag ≤ 4 — 18 bytes.
        var distinct = Set<String>(["plan", "pro", "free", "n"])
        for e in events { distinct.formUnion([e.event, e.anonymousID, e.sessionID ?? "", e.eventID ?? "", e.url ?? ""]) }
        let distinctBytes = distinct.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(bytes.count <= distinctBytes + events.count * 18)
    }

    @Test func defaultsAreOmittedAndAbsentFieldsDecodeToDefaults() throws {
        #expect(HealthResponse(status: .ok, events: 0).encoded() == [])
        #expect(EventsQuery(from: 0, to: 0).encoded() == [])
        #expect(try EventsQuery(decoding: []).limit == EventsQuery.limitDefault)
        #expect(try UserQuery(decoding: []).preloginLimit == UserQuery.preloginLimitDefault)
        #expect(EventBatch(events: []).encoded() == [])
        let optionalZero = EventBatch(events: [], sentAt: 0)
        #expect(optionalZero.encoded() == [0x10, 0x00])
        #expect(try EventBatch(decoding: [0x10, 0x00]).sentAt == 0)
    }
}
