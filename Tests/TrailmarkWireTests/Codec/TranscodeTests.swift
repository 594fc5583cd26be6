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

    /// A client's event: fields validation would normalise (empty optionals) are absent,
    /// as the caller's precondition requires, and no server fields are sent (a block with
    /// server columns is never reused; `unreferencedEntriesOrServerColumns…` covers it).
    static func withoutEmptyOptionals(_ e: Event) -> Event {
        var e = e
        e.receivedAt = nil
        e.attribution = nil
        e.seq = nil
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

    @Test func aHandMadeBlockIsReusedWhenACanonicalEncoderCouldHaveWrittenIt() throws {
        // Entries in another order than canonical, one of them shared by two columns.
        let wire = Craft.batch(
            dictionary: ["id-1", "a1", "view"], count: 2,
            columns: [(EventColumns.Field.name, Craft.varints([2, 2])),
                      (EventColumns.Field.anonymousID, Craft.varints([1, 1])),
                      (EventColumns.Field.sessionID, Craft.varints([2, 0])),
                      (EventColumns.Field.eventID, Craft.varints([1, 0]))])
        let (batch, block) = try EventBatch.decodingKeepingBlock(wire)
        var events = batch.events
        events[1].eventID = "generated"
        events[0].receivedAt = 77
        events[1].attribution = Attribution(source: "view", medium: "m", campaign: nil, rule: "utm", confidence: .low)
        let expected = StoredEventBatch(project: "p", events: events)
        let kept = try #require(block)
        let payload = try #require(expected.encoded(reusing: kept))
        #expect(try StoredEventBatch(decoding: payload, limits: .logRecords) == expected)
    }

    @Test func unreferencedEntriesOrServerColumnsMeanTheCanonicalEncoder() throws {
        let columns = [(EventColumns.Field.name, Craft.varints([0])), (EventColumns.Field.anonymousID, Craft.varints([1]))]
        // An entry no event references: storing it would keep bytes no event holds.
        let unused = Craft.batch(dictionary: ["view", "a1", "someone@example.com"], count: 1, columns: columns)
        // A server column the client has no business sending.
        let serverColumn = Craft.batch(dictionary: ["view", "a1"], count: 1, columns: columns + [(EventColumns.Field.receivedAt, Craft.varints([2]))])
        let clean = Craft.batch(dictionary: ["view", "a1"], count: 1, columns: columns)
        for (wire, reusable) in [(unused, false), (serverColumn, false), (clean, true)] {
            let (batch, block) = try EventBatch.decodingKeepingBlock(wire)
            var events = batch.events
            events[0].receivedAt = nil
            let stored = StoredEventBatch(project: "p", events: events)
            let kept = try #require(block)
            #expect((stored.encoded(reusing: kept) != nil) == reusable)
        }
    }

    @Test func logRecordsAcceptMoreDictionaryEntriesThanClientsMaySend() throws {
        // A stored block holds the client's entries plus the server's, so replay must not
        // apply the client limit (a client block at the limit would make its record unreadable).
        let entries = WireLimits.default.dictionaryEntriesMax + 5
        var dictionary = WireWriter(capacity: entries + 16)
        for s in ["view", "a1"] {
            dictionary.appendVarint(UInt64(s.utf8.count))
            dictionary.appendBytes(Array(s.utf8))
        }
        for _ in 2 ..< entries { dictionary.appendVarint(0) }
        let record = Craft.message { w in
            w.writeString(1, "p")
            w.writeMessage(2) { w in
                w.writeBytes(EventColumns.Field.dictionary, dictionary.bytes)
                w.writeUInt64(EventColumns.Field.count, 1)
                w.writeBytes(EventColumns.Field.name, Craft.varints([0]))
                w.writeBytes(EventColumns.Field.anonymousID, Craft.varints([1]))
            }
        }
        #expect(throws: WireError.self) { try StoredEventBatch(decoding: record) }
        let decoded = try StoredEventBatch(decoding: record, limits: .logRecords)
        #expect(decoded.events.map(\.event) == ["view"])
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
