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

    /// Crafted acks: both readers take or refuse each alike, and agree on what they take.
    /// The one documented difference is the ids' UTF-8, which only the full decoder checks.
    @Test func craftedAcksAgreeWithTheFullDecoder() throws {
        var small = WireLimits.default
        small.batchEventsMax = 2
        let cases: [(String, [UInt8], WireLimits)] = [
            ("unknown fields", Craft.message { w in
                w.writeUInt64(9, 1)
                w.writeBytes(4, Array("a".utf8))
                w.appendTag(10, .fixed64)
                w.appendFixed64(3)
                w.writeBytes(11, [1, 2])
            }, .default),
            ("fields twice, the last counts", Craft.message { w in
                w.writeUInt64(1, 1); w.writeUInt64(2, 5); w.writeUInt64(1, 2); w.writeUInt64(2, 6)
            }, .default),
            ("an id at the limit", Craft.message { $0.writeBytes(4, Array(repeating: 0x61, count: 128)) }, .default),
            ("an empty id", Craft.message { $0.writeBytes(4, []) }, .default),
            ("ids at the count limit", Craft.message { $0.writeBytes(4, [0x61]); $0.writeBytes(4, [0x62]) }, small),
            ("an id over the count limit", Craft.message { w in for _ in 0 ..< 3 { w.writeBytes(4, [0x61]) } }, small),
            ("an id as a varint", Craft.message { $0.writeUInt64(4, 1) }, .default),
            ("batch_id as bytes", Craft.message { $0.writeBytes(1, [1]) }, .default),
            ("a 10-byte batch_id", Craft.message { $0.writeUInt64(1, .max) }, .default),
            ("accepted at uint32 max", Craft.message { $0.writeUInt64(2, UInt64(UInt32.max)) }, .default),
            ("field number 0", [0x00, 0x01], .default),
        ]
        for (note, bytes, limits) in cases {
            let full = try? BatchAck(decoding: bytes, limits: limits)
            let counts = try? BatchAck.counts(decoding: bytes, limits: limits)
            #expect((full == nil) == (counts == nil), "\(note)")
            if let full, let counts {
                #expect(counts == BatchAck.Counts(batchID: full.batchID, accepted: full.accepted, duplicates: full.duplicates, eventIDs: full.eventIDs.count), "\(note)")
            }
        }
        var tight = WireLimits.default
        tight.messageBytesMax = 3
        let four = Craft.message { $0.writeBytes(4, [0x61, 0x62]) }
        #expect(throws: WireError.self) { try BatchAck.counts(decoding: four, limits: tight) }
        // Not UTF-8: the full decoder refuses it, the counting reader (documented) does not.
        let invalid = Craft.message { $0.writeBytes(4, [0xFF]) }
        #expect(throws: WireError.self) { try BatchAck(decoding: invalid) }
        #expect(try BatchAck.counts(decoding: invalid).eventIDs == 1)
    }
}
