import Testing
@testable import TrailmarkWire

/// `StoredEventBatchView`: on valid payloads (canonical and transcoded) every column
/// equals the decoded batch's; on corrupted and truncated ones it throws exactly the error
/// `StoredEventBatch(decoding:limits:)` throws.
@Suite struct StoredEventBatchViewTests {
    /// The view's events rebuilt as `Event`s (properties aside: the view does not expose them).
    static func events(of view: StoredEventBatchView) -> [Event] {
        (0 ..< view.count).map { i in
            let a = view.attributionIndex(i)
            return Event(
                event: view.string(view.name(i)), anonymousID: view.string(view.anonymousID(i)),
                userID: view.string(optional: view.userID(i)), timestamp: view.timestamp(i),
                sessionID: view.string(optional: view.sessionID(i)), eventID: view.string(optional: view.eventID(i)),
                url: view.string(optional: view.url(i)), path: view.string(optional: view.path(i)),
                referrer: view.string(optional: view.referrer(i)), receivedAt: view.receivedAt(i),
                attribution: a.map(view.attribution), seq: view.seq(i))
        }
    }

    static func withoutProperties(_ events: [Event]) -> [Event] {
        events.map { var e = $0; e.properties = Properties(); return e }
    }

    /// Decoder and view agree on `payload`: the same error, or the same events.
    static func expectAgreement(_ payload: [UInt8], _ note: String) {
        let decoded = Result { () throws(WireError) in try StoredEventBatch(decoding: payload, limits: .logRecords) }
        let viewed = Result { () throws(WireError) in
            try StoredEventBatchView.with(payload) { view in (view.project, events(of: view)) }
        }
        switch (decoded, viewed) {
        case (.success(let batch), .success(let view)):
            #expect(view.0 == batch.project, "\(note)")
            #expect(view.1 == withoutProperties(batch.events), "\(note)")
        case (.failure(let a), .failure(let b)):
            #expect(a == b, "\(note)")
        default:
            Issue.record("decoder \(decoded) but view \(viewed): \(note)")
        }
    }

    /// Seeded stored batches, canonical and (when the block allows) transcoded.
    static func payloads(seed: UInt64) throws -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        let events = rng.events(max: 30)
        var out = [StoredEventBatch(project: seed % 4 == 0 ? "" : "proj", events: events).encoded()]
        let client = events.map(TranscodeTests.withoutEmptyOptionals)
        if !client.isEmpty {
            let (batch, block) = try EventBatch.decodingKeepingBlock(EventBatch(events: client).encoded())
            let stored = StoredEventBatch(project: "p", events: TranscodeTests.serverSide(batch.events, &rng))
            if let block, let transcoded = stored.encoded(reusing: block) { out.append(transcoded) }
        }
        return out
    }

    @Test func validPayloadsGiveTheDecodedColumns() throws {
        var transcoded = 0
        for seed in UInt64(0) ..< 300 {
            let all = try Self.payloads(seed: seed)
            transcoded += all.count - 1
            for payload in all { Self.expectAgreement(payload, "seed \(seed)") }
        }
        #expect(transcoded > 200)  // the non-canonical path is exercised
    }

    @Test func dictionaryEntriesAreByteRangesOfThePayload() throws {
        let batch = StoredEventBatch(project: "p", events: [Event(event: "日本", anonymousID: "a", eventID: "id-1")])
        try StoredEventBatchView.with(batch.encoded()) { view in
            #expect(view.count == 1 && view.entryCount == 3)
            #expect(Array(view.entry(view.name(0))) == Array("日本".utf8))
            #expect(view.entryLength(view.eventID(0)) == 4)
            #expect(view.userID(0) == StoredEventBatchView.absent && view.attributionIndex(0) == nil)
        }
    }

    @Test func anEmptyPayloadIsAnEmptyBatch() throws {
        try StoredEventBatchView.with([]) { view in #expect(view.count == 0 && view.project.isEmpty) }
    }

    @Test func truncatedPayloadsFailLikeTheDecoder() throws {
        for seed in UInt64(0) ..< 40 {
            for payload in try Self.payloads(seed: seed) {
                for length in 0 ..< payload.count { Self.expectAgreement(Array(payload.prefix(length)), "seed \(seed) length \(length)") }
            }
        }
    }

    @Test func corruptedPayloadsFailLikeTheDecoder() throws {
        var rng = SeededRandom(seed: 99)
        var failures = 0
        for seed in UInt64(0) ..< 200 {
            for payload in try Self.payloads(seed: seed) where !payload.isEmpty {
                for _ in 0 ..< 20 {
                    var bad = payload
                    for _ in 0 ..< rng.int(1 ... 3) {
                        let i = rng.int(0 ... bad.count - 1)
                        bad[i] = rng.chance(0.5) ? UInt8(truncatingIfNeeded: rng.int(0 ... 255)) : bad[i] ^ (1 << UInt8(rng.int(0 ... 7)))
                    }
                    if (try? StoredEventBatch(decoding: bad, limits: .logRecords)) == nil { failures += 1 }
                    Self.expectAgreement(bad, "seed \(seed) corrupted")
                }
            }
        }
        #expect(failures > 1000)  // most corruptions are caught, so the error paths are compared
    }
}
