import Testing
@testable import TrailmarkWire

/// `BatchAck.counts(decoding:)` (the load harness's ack reader) against the full decoder.
@Suite struct BatchAckCountsTests {
    @Test func countsMatchTheFullDecoder() throws {
        var rng = SeededRandom(seed: 11)
        for round in 0 ..< 300 {
            let ack = BatchAck(
                batchID: rng.chance(0.5) ? rng.uint64() : nil, accepted: rng.uint32(), duplicates: rng.uint32(),
                eventIDs: (0 ..< rng.int(0 ... 40)).map { "id-\($0)-\(rng.int(0 ... 1_000_000))" })
            let bytes = ack.encoded()
            let counts = try BatchAck.counts(decoding: bytes)
            let full = try BatchAck(decoding: bytes)
            #expect(counts == BatchAck.Counts(batchID: full.batchID, accepted: full.accepted, duplicates: full.duplicates, eventIDs: full.eventIDs.count), "round \(round)")
        }
    }

    @Test func malformedAcksAreRejectedByBoth() {
        let good = BatchAck(batchID: 7, accepted: 2, duplicates: 1, eventIDs: ["a", "b", "c"]).encoded()
        var rejected = 0
        for cut in 1 ..< good.count {
            let truncated = Array(good.prefix(cut))
            let full = (try? BatchAck(decoding: truncated)) != nil
            let counts = (try? BatchAck.counts(decoding: truncated)) != nil
            #expect(full == counts, "cut at \(cut)")
            if !counts { rejected += 1 }
        }
        #expect(rejected > 0)
        // An id longer than the limit, and `accepted` beyond uint32.
        let longID = BatchAck(accepted: 1, duplicates: 0, eventIDs: [String(repeating: "x", count: 129)]).encoded()
        #expect(throws: WireError.self) { try BatchAck.counts(decoding: longID) }
        let wide = Craft.message { $0.writeUInt64(2, UInt64(UInt32.max) + 1) }
        #expect(throws: WireError.self) { try BatchAck.counts(decoding: wide) }
    }
}
