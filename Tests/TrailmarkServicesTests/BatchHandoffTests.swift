import Foundation
import Testing
import TrailmarkWire
@testable import TrailmarkServices

/// Decoded batches handed from ingest to the log tailer: taken only for byte-equal
/// payloads, equal to what decoding gives, bounded, withdrawable.
@Suite struct BatchHandoffTests {
    static func batch(_ n: Int, tag: String) -> StoredEventBatch {
        let events = (0 ..< n).map { i -> Event in
            var e = Event(event: i % 3 == 0 ? "$pageview" : "clicked_cta", anonymousID: "anon-\(tag)-\(i % 4)")
            e.userID = i % 5 == 0 ? "user-\(i)" : nil
            e.timestamp = 1_700_000_000_000_000 + Int64(i) * 1_000
            e.receivedAt = 1_700_000_000_500_000
            e.sessionID = i % 2 == 0 ? "s-\(tag)" : nil
            e.eventID = "\(tag)-\(i)-0190f3b2-7c1e-7000-8000-000000000000"
            e.url = "https://shop.example/p/\(i)?utm_source=news&utm_medium=email"
            e.referrer = i % 3 == 0 ? "https://www.google.com/" : nil
            e.properties = Properties([Property("plan", .string("pro")), Property("n", .int(Int64(i))),
                                       Property("ratio", .double(0.25)), Property("ok", .bool(true)), Property("none", .null)])
            e.attribution = Attribution(source: "news", medium: "email", campaign: nil, rule: "utm", confidence: .high)
            return e
        }
        return StoredEventBatch(project: "p", events: events)
    }

    @Test func takesTheOfferedBatchForAnEqualPayloadAndItEqualsTheDecoding() throws {
        let handoff = BatchHandoff()
        let batch = Self.batch(200, tag: "a")
        let payload = batch.encoded()
        #expect(handoff.offer(batch, payload: payload) != nil)
        let copy = Array(payload)  // the record's bytes live elsewhere (the mapping)
        let taken = copy.withUnsafeBytes { handoff.take($0) }
        let decoded = try StoredEventBatch(decoding: copy, limits: .logRecords)
        #expect(taken == batch)
        #expect(taken == decoded)
        #expect(handoff.count == 0)
        #expect(copy.withUnsafeBytes { handoff.take($0) } == nil)  // taken once
    }

    @Test func aPayloadThatDiffersAfterTheHashedPrefixIsNotTaken() {
        let handoff = BatchHandoff()
        let batch = Self.batch(100, tag: "b")
        let payload = batch.encoded()
        #expect(payload.count > 2048)
        _ = handoff.offer(batch, payload: payload)
        var other = payload
        other[payload.count - 1] ^= 0x01  // same length and first KiB: same key
        #expect(other.withUnsafeBytes { BatchHandoff.key($0) } == payload.withUnsafeBytes { BatchHandoff.key($0) })
        #expect(other.withUnsafeBytes { handoff.take($0) } == nil)
        #expect(handoff.count == 1)
        #expect(payload.withUnsafeBytes { handoff.take($0) } == batch)
    }

    @Test func declinesWhenFullAndWithdrawsFailedAppends() {
        let handoff = BatchHandoff(capacity: 2)
        let batches = (0 ..< 3).map { Self.batch(10, tag: "c\($0)") }
        let payloads = batches.map { $0.encoded() }
        let k0 = handoff.offer(batches[0], payload: payloads[0])
        #expect(k0 != nil)
        #expect(handoff.offer(batches[1], payload: payloads[1]) != nil)
        #expect(handoff.offer(batches[2], payload: payloads[2]) == nil)
        handoff.withdraw(k0!, payload: payloads[0])  // `!`: offered just above
        #expect(handoff.count == 1)
        #expect(payloads[0].withUnsafeBytes { handoff.take($0) } == nil)
        #expect(handoff.offer(batches[2], payload: payloads[2]) != nil)
    }

    @Test func boundsTheBytesHeldAndEmptiesWhenTheTailerStops() {
        let batches = (0 ..< 3).map { Self.batch(50, tag: "d\($0)") }
        let payloads = batches.map { $0.encoded() }
        let handoff = BatchHandoff(capacity: 100, bytesMax: payloads[0].count + payloads[1].count)
        #expect(handoff.offer(batches[0], payload: payloads[0]) != nil)
        #expect(handoff.offer(batches[1], payload: payloads[1]) != nil)
        #expect(handoff.offer(batches[2], payload: payloads[2]) == nil)  // over the byte budget
        #expect(handoff.bytes == payloads[0].count + payloads[1].count)
        #expect(payloads[1].withUnsafeBytes { handoff.take($0) } == batches[1])
        #expect(handoff.bytes == payloads[0].count)
        handoff.removeAll()
        #expect(handoff.count == 0 && handoff.bytes == 0)
        #expect(payloads[0].withUnsafeBytes { handoff.take($0) } == nil)
    }

    @Test func theTailerConsumesEveryBatchIngestOffers() async throws {
        let h = try await GatewayTests.Harness().ready()
        for b in 0 ..< 20 {
            let events = (0 ..< 50).map { #"{"event":"e","anonymous_id":"a\#($0 % 7)","event_id":"id-\#(b)-\#($0)"}"# }
            let (status, ack) = await h.send("POST", "/v1/batch", key: h.sk, json: #"{"events":[\#(events.joined(separator: ","))]}"#)
            #expect(status == 202 && ack["accepted"] == 50)
        }
        let (_, stats) = await h.send("GET", "/v1/stats?metric=count", key: h.rk)
        #expect(stats["rows"] == [["value": 1000]])
        #expect(h.hub.handoff.count == 0 && h.hub.handoff.bytes == 0)
        await h.close()
    }
}
