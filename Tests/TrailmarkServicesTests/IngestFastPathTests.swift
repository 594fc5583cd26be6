import Foundation
import Testing
import TrailmarkEngine
import TrailmarkWire
@testable import TrailmarkServices

/// The binary ingest fast path (`ScannedEventBatch`, `IngestService.track(scanned:…)`)
/// against the ordinary one (decode, `EventValidator`, `track(_:block:…)`): whatever the
/// scan takes, the ordinary path accepts unchanged, and both store the same bytes and
/// answer the same acknowledgement.
@Suite struct IngestFastPathTests {
    static let limits = WireLimits.default
    static let validator = EventValidator(limits: limits)

    /// A generator of client batches: mostly valid, with every kind of value the scan must
    /// either take exactly or leave to the ordinary path (empty optionals, server fields,
    /// long and non-ASCII strings, repeated keys, odd numbers, out-of-range times).
    struct Generator {
        var rng: SystemRandomNumberGeneratorLike

        mutating func chance(_ p: Double) -> Bool { rng.unit() < p }
        mutating func pick<T>(_ xs: [T]) -> T { xs[rng.below(xs.count)] }

        mutating func string(_ pool: [String]) -> String { pick(pool) }

        mutating func event(index: Int, odd: Bool) -> Event {
            let names = ["$pageview", "signup", "clicked_cta", "é\u{301}vent"] + (odd ? ["", String(repeating: "n", count: 201)] : [])
            let anons = ["anon-1", "anon-2", "a-\(rng.below(50))"] + (odd ? [""] : [])
            var e = Event(event: string(names), anonymousID: string(anons))
            if chance(0.3) { e.userID = odd && chance(0.2) ? "" : "user-\(rng.below(5))" }
            if chance(0.8) { e.timestamp = odd && chance(0.1) ? -5 : 1_760_000_000_000_000 + Int64(rng.below(1_000_000_000)) }
            if chance(0.5) { e.sessionID = odd && chance(0.2) ? "" : "s-\(rng.below(9))" }
            if chance(0.9) { e.eventID = odd && chance(0.1) ? "" : "0190f3b2-7c1e-7000-8000-\(String(index, radix: 16))-\(rng.below(1 << 30))" }
            if chance(0.7) { e.url = pick(["https://ex.com/?utm_source=news&utm_medium=email", "https://ex.com/pricing", "https://b.example/"] + (odd ? [""] : [])) }
            if chance(0.3) { e.path = "/p/\(rng.below(3))" }
            if chance(0.5) { e.referrer = pick(["https://www.google.com/search?q=x", "https://t.co/abc", "https://ex.com/"] + (odd ? [""] : [])) }
            if chance(0.5) {
                var entries: [Property] = [Property("plan", .string(pick(["free", "pro"]))), Property("n", .int(Int64(rng.below(100))))]
                if chance(0.3) { entries.append(Property("ratio", .double(odd && chance(0.3) ? .nan : 0.5))) }
                if chance(0.2) { entries.append(Property("ok", .bool(true))) }
                if odd && chance(0.1) { entries.append(Property(String(repeating: "k", count: 257), .null)) }
                e.properties = Properties(entries)
            }
            if odd && chance(0.05) { e.receivedAt = 5 }
            if odd && chance(0.05) { e.attribution = Attribution(source: "x", medium: "y", campaign: nil, rule: "r", confidence: .low) }
            return e
        }

        mutating func batch(odd: Bool) -> EventBatch {
            let n = 1 + rng.below(40)
            let sentAt: Int64? = chance(0.5) ? 1_760_000_000_500_000 + Int64(rng.below(10_000_000)) : nil
            return EventBatch(events: (0 ..< n).map { event(index: $0, odd: odd) }, sentAt: odd && chance(0.05) ? -1 : sentAt, batchID: chance(0.5) ? UInt64(rng.below(1000)) : nil)
        }
    }

    /// The ordinary path's verdict: the validated events, and whether validation changed a
    /// field; nil when decoding or validation fails.
    static func ordinary(_ bytes: [UInt8]) -> (batch: EventBatch, block: EventBlock?, changed: Bool)? {
        guard case (var batch, let block)? = try? EventBatch.decodingKeepingBlock(bytes, limits: limits) else { return nil }
        var changed = false
        do {
            for i in batch.events.indices {
                let before = batch.events[i]
                if try validator.validate(&batch.events[i], path: "events[\(i)]") { changed = true }
                if before != batch.events[i] { changed = true }  // server fields dropped
            }
            if let t = batch.sentAt { try validator.checkTime(t, "sent_at", .invalidEvent) }
        } catch {
            return nil
        }
        return (batch, block, changed)
    }

    /// Checks one message both ways; returns whether the scan took it.
    @discardableResult
    static func check(_ bytes: [UInt8], _ note: String) -> Bool {
        let scanned = ScannedEventBatch.scan(bytes, limits: limits)
        let ordinary = ordinary(bytes)
        guard let scanned else { return false }
        guard let (batch, block, changed) = ordinary else {
            Issue.record("\(note): the scan took a batch the ordinary path rejects")
            return true
        }
        #expect(!changed, "\(note): the scan took a batch validation changes")
        #expect(block?.count == scanned.count && batch.events.count == scanned.count, "\(note)")
        #expect(scanned.sentAt == batch.sentAt && scanned.batchID == batch.batchID, "\(note)")
        for (i, e) in batch.events.enumerated() {
            let id = scanned.eventIDRefs[i] == 0 ? nil : scanned.string(scanned.eventIDRefs[i] - 1)
            let url = scanned.urlRefs[i] == 0 ? nil : scanned.string(scanned.urlRefs[i] - 1)
            let referrer = scanned.referrerRefs[i] == 0 ? nil : scanned.string(scanned.referrerRefs[i] - 1)
            #expect(id == e.eventID && url == e.url && referrer == e.referrer && scanned.timestamps[i] == e.timestamp, "\(note): event \(i)")
        }
        return true
    }

    @Test func theScanTakesValidBatchesAndOnlyThose() {
        var g = Generator(rng: SystemRandomNumberGeneratorLike(seed: 1))
        var taken = 0, valid = 0
        for round in 0 ..< 1500 {
            let bytes = g.batch(odd: round % 2 == 1).encoded()
            if Self.check(bytes, "round \(round)") { taken += 1 }
            // Completeness on canonical encodings: a batch validation accepts unchanged is taken.
            if let o = Self.ordinary(bytes), !o.changed {
                valid += 1
                #expect(ScannedEventBatch.scan(bytes, limits: Self.limits) != nil, "round \(round): a valid batch was not taken")
            }
        }
        #expect(taken == valid && taken > 500 && taken < 1500, "taken \(taken) of 1500, valid \(valid)")
    }

    @Test func corruptedBytesAreNeverTakenUnlessTheOrdinaryPathAgrees() {
        var g = Generator(rng: SystemRandomNumberGeneratorLike(seed: 2))
        var taken = 0
        for round in 0 ..< 3000 {
            var bytes = g.batch(odd: false).encoded()
            switch g.rng.below(4) {
            case 0: bytes[g.rng.below(bytes.count)] ^= UInt8(1 << g.rng.below(8))
            case 1: bytes.removeLast(1 + g.rng.below(min(8, bytes.count)))
            case 2: bytes.insert(UInt8(g.rng.below(256)), at: g.rng.below(bytes.count))
            default: bytes[g.rng.below(bytes.count)] = UInt8(g.rng.below(256))
            }
            if Self.check(bytes, "round \(round)") { taken += 1 }
        }
        #expect(taken < 3000)
    }

    /// The record and acknowledgement the fast path builds equal the ordinary path's bytes.
    @Test func recordsAndAcksAreTheOrdinaryPathsBytes() throws {
        var g = Generator(rng: SystemRandomNumberGeneratorLike(seed: 3))
        var compared = 0
        for round in 0 ..< 600 {
            let bytes = g.batch(odd: false).encoded()
            guard let scanned = ScannedEventBatch.scan(bytes, limits: Self.limits), let (batch, block, _) = Self.ordinary(bytes) else { continue }
            let received: Int64 = 1_760_000_001_000_000
            var generated = GeneratedEventIDs(count: batch.events.count)
            var completed = batch.events
            var distinct: [Attribution] = [], index: [UInt32] = []
            for i in completed.indices {
                completed[i].receivedAt = received
                completed[i].timestamp = (completed[i].timestamp ?? received) + 7
                if completed[i].eventID == nil {
                    generated.add(event: i) { $0.append(contentsOf: "gen-\(i)".utf8) }
                    completed[i].eventID = "gen-\(i)"
                }
                let a = AttributionClassifier.classify(url: completed[i].url, referrer: completed[i].referrer)
                completed[i].attribution = a
                if let k = distinct.firstIndex(of: a) { index.append(UInt32(k)) } else { index.append(UInt32(distinct.count)); distinct.append(a) }
            }
            let fields = ScannedServerFields(
                receivedAt: received, timestamps: completed.map { $0.timestamp ?? 0 }, generatedIDs: generated,
                attributions: distinct, attributionIndex: index)
            let kept = try #require(block)
            let expected = try #require(StoredEventBatch(project: "proj", events: completed).encoded(reusing: kept))
            let sameRecord = scanned.encodedRecord(project: "proj", fields: fields) == expected
            #expect(sameRecord, "round \(round): the records differ")
            let ack = BatchAck(batchID: batch.batchID, accepted: 3, duplicates: UInt32(round % 2), eventIDs: completed.map { $0.eventID ?? "" })
            let sameAck = scanned.encodedAck(accepted: 3, duplicates: UInt32(round % 2), generatedIDs: generated) == ack.encoded()
            #expect(sameAck, "round \(round): the acknowledgements differ")
            compared += 1
        }
        #expect(compared > 300)
    }
}

extension IngestFastPathTests {
    /// The log's event-batch records, as bytes.
    static func records(_ hub: ServiceHub) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try hub.log.read(from: 0) { _, kind, payload in
            if kind == .eventBatch { out.append(payload.withUnsafeBytes { Array($0) }) }
        }
        return out
    }

    /// Two servers with one clock, one fed through the fast path and one through the
    /// ordinary path, store the same records and answer the same acks, retries included
    /// (a batch half of whose ids are stored already takes the fast path's decode branch).
    @Test func bothPathsStoreTheSameRecordsAndAnswerTheSameAcks() async throws {
        let now: @Sendable () -> Int64 = { 1_760_000_100_000_000 }
        let fast = try await GatewayTests.Harness(now: now).ready()
        let ordinary = try await GatewayTests.Harness(now: now).ready()
        defer {
            fast.tailer.cancel()
            ordinary.tailer.cancel()
        }
        var g = Generator(rng: SystemRandomNumberGeneratorLike(seed: 4))
        var sent: [EventBatch] = []
        for round in 0 ..< 12 {
            var batch = g.batch(odd: false)
            for i in batch.events.indices where batch.events[i].eventID == nil { batch.events[i].eventID = "r\(round)-\(i)" }
            // Every third batch resends half of an earlier one's events (a flaky SDK's retry).
            if round % 3 == 2, let earlier = sent.last {
                batch.events = Array(earlier.events.prefix(max(1, earlier.events.count / 2))) + batch.events
            }
            sent.append(batch)
            let bytes = batch.encoded()
            let scanned = try #require(ScannedEventBatch.scan(bytes, limits: Self.limits), "round \(round)")
            let fastAck = try await fast.hub.ingest.track(scanned: scanned, project: "p", limits: Self.limits)
            let (decoded, block) = try EventBatch.decodingKeepingBlock(bytes, limits: Self.limits)
            let ordinaryAck = try await ordinary.hub.ingest.track(decoded, block: block, project: "p").encoded()
            #expect(fastAck == ordinaryAck, "round \(round): the acks differ")
            let ack = try BatchAck(decoding: fastAck)
            #expect(ack.duplicates == (round % 3 == 2 ? UInt32(max(1, sent[round - 1].events.count / 2)) : 0), "round \(round)")
        }
        let (a, b) = (try Self.records(fast.hub), try Self.records(ordinary.hub))
        #expect(a.count == 12)
        #expect(a == b, "the stored records differ")
    }
}

extension IngestFastPathTests {
    /// Events sent without ids get UUIDv7s on the fast path too: distinct, well-formed,
    /// the same in the ack as in the stored record.
    @Test func generatedIDsAreAcknowledgedAndStored() async throws {
        let harness = try await GatewayTests.Harness().ready()
        defer { harness.tailer.cancel() }
        let events = (0 ..< 50).map { Event(event: "view", anonymousID: "a\($0 % 3)", url: "https://ex.com/?utm_source=s\($0 % 2)") }
        let bytes = EventBatch(events: events, batchID: 9).encoded()
        let scanned = try #require(ScannedEventBatch.scan(bytes, limits: Self.limits))
        let ack = try BatchAck(decoding: try await harness.hub.ingest.track(scanned: scanned, project: "p", limits: Self.limits))
        #expect(ack.batchID == 9 && ack.accepted == 50 && ack.duplicates == 0)
        #expect(Set(ack.eventIDs).count == 50)
        for id in ack.eventIDs {
            let chars = Array(id)
            #expect(chars.count == 36 && chars[14] == "7" && [8, 13, 18, 23].allSatisfy { chars[$0] == "-" }, "\(id)")
        }
        let records = try Self.records(harness.hub)
        let stored = try StoredEventBatch(decoding: try #require(records.last), limits: .logRecords)
        #expect(stored.events.map { $0.eventID ?? "" } == ack.eventIDs)
        #expect(stored.events.map { $0.attribution?.source } == events.map { "s\(($0.url?.last).map(String.init) ?? "")" })
    }
}

/// A small seeded generator (xorshift64*), so failures reproduce.
struct SystemRandomNumberGeneratorLike {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
