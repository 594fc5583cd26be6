import Testing
@testable import TrailmarkWire

/// `StoredEventBatch.encoded(reusing:)`: a stored block built from the client's block plus
/// the server's fields decodes to exactly the stored events.
@Suite struct TranscodeTests {
    /// What ingest does to decoded events: corrects timestamps, generates missing ids, sets
    /// the received time and attribution, clears `seq` (validation drops client server fields).
    static func serverSide(_ events: [Event], _ rng: inout SeededRandom) -> [Event] {
        let received: Int64 = 1_760_000_000_000_000 + Int64(rng.int(0 ... 1_000_000))
        let shift = Int64(rng.int(-5_000_000 ... 5_000_000))
        return events.enumerated().map { i, e in
            var e = e
            e.timestamp = (e.timestamp ?? received) &+ shift
            if e.eventID == nil { e.eventID = "0190f3b2-7c1e-7000-8000-\(i)" }
            e.receivedAt = received
            e.attribution = rng.chance(0.8) ? rng.attribution() : nil
            e.seq = nil
            return e
        }
    }

    /// Fields validation would normalise (empty optionals) are made non-empty or absent,
    /// as the caller's precondition requires.
    static func withoutEmptyOptionals(_ e: Event) -> Event {
        var e = e
        func fix(_ s: inout String?) { if s?.isEmpty == true { s = nil } }
        fix(&e.sessionID)
        fix(&e.eventID)
        fix(&e.url)
        fix(&e.path)
        fix(&e.referrer)
        return e
    }

    @Test func transcodedBlocksDecodeToTheStoredEvents() throws {
        for seed in UInt64(0) ..< 400 {
            var rng = SeededRandom(seed: seed)
            var events = rng.events(max: 40).map(Self.withoutEmptyOptionals)
            if events.isEmpty { events = [Self.withoutEmptyOptionals(rng.event())] }
            let wire = EventBatch(events: events, sentAt: 5, batchID: seed).encoded()
            let (batch, block) = try EventBatch.decodingKeepingBlock(wire)
            #expect(batch == (try EventBatch(decoding: wire)), "seed \(seed)")
            let expected = StoredEventBatch(project: seed % 3 == 0 ? "" : "proj", events: Self.serverSide(batch.events, &rng))
            let kept = try #require(block)
            let payload = try #require(expected.encoded(reusing: kept), "seed \(seed)")
            let decoded = try StoredEventBatch(decoding: payload, limits: .logRecords)
            #expect(decoded == expected, "seed \(seed)")
        }
    }

    @Test func clientSentServerColumnsAndUnusedEntriesDoNotSurvive() throws {
        // A hand-made block: two events, an unreferenced entry, and client-sent received_at,
        // source and seq columns, which the stored block must not carry over.
        let wire = Craft.batch(
            dictionary: ["view", "a1", "unused", "evil-source", "id-1"], count: 2,
            columns: [(EventColumns.Field.name, Craft.varints([0, 0])),
                      (EventColumns.Field.anonymousID, Craft.varints([1, 1])),
                      (EventColumns.Field.eventID, Craft.varints([5, 0])),
                      (EventColumns.Field.receivedAt, Craft.varints([2, 2])),
                      (EventColumns.Field.source, Craft.varints([4, 4])),
                      (EventColumns.Field.medium, Craft.varints([3, 3])),
                      (EventColumns.Field.sourceRule, Craft.varints([3, 3])),
                      (EventColumns.Field.sourceConfidence, Craft.varints([0, 0])),
                      (EventColumns.Field.seq, Craft.varints([8, 8]))])
        let (batch, block) = try EventBatch.decodingKeepingBlock(wire)
        #expect(batch.events.count == 2 && batch.events[0].eventID == "id-1" && batch.events[1].eventID == nil)
        var events = batch.events
        for i in events.indices {
            events[i].receivedAt = nil
            events[i].attribution = nil
            events[i].seq = nil
        }
        events[1].eventID = "generated"
        events[0].receivedAt = 77
        let expected = StoredEventBatch(project: "p", events: events)
        let kept = try #require(block)
        let payload = try #require(expected.encoded(reusing: kept))
        #expect(try StoredEventBatch(decoding: payload, limits: .logRecords) == expected)
    }

    @Test func refusesEventsThatAreNotTheBlocks() throws {
        var rng = SeededRandom(seed: 9)
        let events = (0 ..< 5).map { _ in Self.withoutEmptyOptionals(rng.event()) }
        let (batch, block) = try EventBatch.decodingKeepingBlock(EventBatch(events: events).encoded())
        let fewer = StoredEventBatch(project: "p", events: Array(batch.events.dropLast()))
        let kept = try #require(block)
        #expect(fewer.encoded(reusing: kept) == nil)
    }

    @Test func keepingTheBlockFailsLikeDecoding() {
        let truncated = Array(EventBatch(events: [Event(event: "e", anonymousID: "a")]).encoded().dropLast())
        #expect(throws: WireError.self) { try EventBatch.decodingKeepingBlock(truncated) }
        #expect(throws: WireError.self) { try EventBatch(decoding: truncated) }
        var limits = WireLimits.default
        limits.messageBytesMax = 4
        #expect(throws: WireError.self) { try EventBatch.decodingKeepingBlock(Array(repeating: 0, count: 5), limits: limits) }
    }
}
