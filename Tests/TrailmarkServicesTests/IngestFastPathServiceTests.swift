import Foundation
import Testing
import TrailmarkWire
@testable import TrailmarkServices

/// The fast path and the ordinary path through two ingest services with one clock: the
/// same acks and records, byte for byte.
@Suite struct IngestFastPathServiceTests {
    typealias E = IngestFastPathEdgeTests

    /// Each `(project, bytes)` through the fast path on one server and the ordinary path on
    /// another with the same clock; returns both servers' acks and their event records.
    static func bothWays(_ batches: [(String, [UInt8])]) async throws -> (fast: [[UInt8]], ordinary: [[UInt8]], fastRecords: [[UInt8]], ordinaryRecords: [[UInt8]]) {
        let now: @Sendable () -> Int64 = { 1_760_000_100_000_000 }
        let fast = try await GatewayTests.Harness(now: now).ready()
        let ordinary = try await GatewayTests.Harness(now: now).ready()
        defer {
            fast.tailer.cancel()
            ordinary.tailer.cancel()
        }
        var acks: (fast: [[UInt8]], ordinary: [[UInt8]]) = ([], [])
        for (round, (project, bytes)) in batches.enumerated() {
            let scanned = try #require(ScannedEventBatch.scan(bytes), "round \(round)")
            acks.fast.append(try await fast.hub.ingest.track(scanned: scanned, project: project, limits: .default))
            let (decoded, block) = try EventBatch.decodingKeepingBlock(bytes)
            acks.ordinary.append(try await ordinary.hub.ingest.track(decoded, block: block, project: project).encoded())
        }
        return (acks.fast, acks.ordinary, try IngestFastPathTests.records(fast.hub), try IngestFastPathTests.records(ordinary.hub))
    }
}

extension IngestFastPathServiceTests {
    /// Crafted batches (all with client ids, so both servers store the same bytes) through
    /// the fast path on one server and the ordinary path on another with the same clock:
    /// the same acks and records, with unknown fields, any field order, repeated ids within
    /// a batch, retries, a batch of retries only, two projects, equivalent but different
    /// ids, and more distinct attributions than the transcoder remembers.
    @Test func craftedBatchesStoreTheSameRecordsBothWays() async throws {
        func events(_ ids: [String], urls: [String?] = []) -> [Event] {
            ids.enumerated().map { i, id in
                Event(event: "view", anonymousID: "a\(i % 2)", timestamp: i % 3 == 0 ? nil : 1_760_000_000_000_000 + Int64(i), eventID: id, url: i < urls.count ? urls[i] : nil)
            }
        }
        var reordered = WireWriter()
        reordered.writeUInt64(3, 5)
        reordered.writeMessage(1) { w in
            w.writeUInt64(30, 1)
            w.writeBytes(9, [3, 4])
            w.writeBytes(4, [1, 1])
            w.writeBytes(3, [0, 0])
            w.writeBytes(1, E.dictionary([E.s("view"), E.s("anon"), E.s("id-a"), E.s("id-b")]))
            w.writeUInt64(2, 2)
        }
        reordered.writeBytes(31, [1, 2])
        let campaigns = (0 ..< 7).map { "https://ex.com/?utm_source=s\($0 % 6)&utm_medium=email&utm_campaign=c\($0)" }
        let batches: [(String, [UInt8])] = [
            ("p", reordered.bytes),
            ("p", EventBatch(events: events(["x", "y", "x"]), batchID: 1).encoded()),
            ("p", EventBatch(events: events(["id-a", "z", "y"]), sentAt: 1_760_000_000_000_000, batchID: 2).encoded()),
            ("p", EventBatch(events: events(["x", "z"]), batchID: 3).encoded()),
            ("", EventBatch(events: events(["x", "z"]), batchID: 4).encoded()),
            ("p", EventBatch(events: events(["\u{E9}", "e\u{301}"])).encoded()),
            ("p", EventBatch(events: events((0 ..< 7).map { "c\($0)" }, urls: campaigns)).encoded()),
            ("p", EventBatch(events: events(["c0", "c9", "c8", "c3", "c7"], urls: campaigns.reversed())).encoded()),
        ]
        let both = try await Self.bothWays(batches)
        for round in batches.indices { #expect(both.fast[round] == both.ordinary[round], "round \(round): the acks differ") }
        #expect(both.fastRecords.count == batches.count - 1)  // the batch of retries only stores nothing
        #expect(both.fastRecords == both.ordinaryRecords, "the stored records differ")
    }
}

extension IngestFastPathServiceTests {
    /// Replaces each of `ids` (server-made, 36 bytes) in `bytes` with a placeholder naming
    /// its position, so records and acks of two servers compare byte for byte.
    static func masking(_ bytes: [UInt8], _ ids: [String]) -> [UInt8] {
        var out = bytes
        for (k, id) in ids.enumerated() {
            let needle = Array(id.utf8), mask = Array(String(format: "%036d", k).utf8)
            var i = 0
            while i + needle.count <= out.count {
                if Array(out[i ..< i + needle.count]) == needle {
                    out.replaceSubrange(i ..< i + needle.count, with: mask)
                    i += needle.count
                } else {
                    i += 1
                }
            }
        }
        return out
    }

    /// Batches mixing events with and without ids, retries of some (the fast path's decode
    /// branch) and ids repeated within a batch: with the server-made ids masked, both paths
    /// store the same records and answer the same acks.
    @Test func generatedIDsWithRetriesStoreTheSameRecordsBothWays() async throws {
        func events(_ ids: [String?]) -> [Event] {
            ids.enumerated().map { i, id in
                Event(event: "e\(i % 3)", anonymousID: "a", timestamp: 1_760_000_000_000_000 + Int64(i), eventID: id,
                      url: "https://ex.com/?utm_source=s\(i % 5)&utm_campaign=c\(i % 7)", referrer: i % 2 == 0 ? "https://t.co/x" : nil)
            }
        }
        let batches: [[Event]] = [
            events(["a", nil, "b", nil]),
            events([nil, "a", nil, "c", "c", nil]),
            events(["b", "c", nil]),
            events(["d", nil, "d", "a", nil, "e"]),
        ]
        let both = try await Self.bothWays(batches.enumerated().map { round, list in
            ("p", EventBatch(events: list, sentAt: 1_760_000_050_000_000, batchID: UInt64(round)).encoded())
        })
        // The server-made ids, in the order each server made them.
        var fastMade: [String] = [], ordinaryMade: [String] = []
        for (round, list) in batches.enumerated() {
            let made = list.indices.filter { list[$0].eventID == nil }
            let fastIDs = try BatchAck(decoding: both.fast[round]).eventIDs, ordinaryIDs = try BatchAck(decoding: both.ordinary[round]).eventIDs
            fastMade += made.map { fastIDs[$0] }
            ordinaryMade += made.map { ordinaryIDs[$0] }
            #expect(Self.masking(both.fast[round], fastMade) == Self.masking(both.ordinary[round], ordinaryMade), "round \(round): the acks differ")
        }
        let a = both.fastRecords.map { Self.masking($0, fastMade) }
        let b = both.ordinaryRecords.map { Self.masking($0, ordinaryMade) }
        #expect(a.count == batches.count)
        #expect(a == b, "the stored records differ")
    }
}
