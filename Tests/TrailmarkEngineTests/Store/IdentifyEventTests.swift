import Synchronization
import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// The `$identify` event each stored identify implies (SEMANTICS §1), with the large fields
/// kept in memory and read back from encoded log records by a `RecordFetcher`.
@Suite("Store: the $identify event of an identify")
struct IdentifyEventTests {
    static let t0: Int64 = 1_777_939_200_000_000  // 2026-05-05T00:00:00Z

    /// Encoded identify records by record seq, read back as a log-backed fetcher would.
    final class RecordLog: Sendable {
        let records = Mutex<[UInt64: [UInt8]]>([:])

        func append(_ batch: StoredIdentifyBatch, recordSeq: UInt64) {
            records.withLock { $0[recordSeq] = batch.encoded() }
        }

        func fetch(seq: UInt64) -> Event? {
            guard let bytes = records.withLock({ $0[seq >> 20] }),
                let batch = try? StoredIdentifyBatch(decoding: bytes, limits: .logRecords)
            else { return nil }
            let index = Int(seq & 0xFFFFF)
            return index < batch.identifies.count ? batch.identifies[index].impliedEvent(seq: seq) : nil
        }
    }

    /// An engine with (`fromLog`) or without a fetcher, fed `records` through their encoding.
    static func engine(fromLog: Bool, _ records: [(StoredIdentifyBatch, UInt64)]) throws -> EventEngine {
        let log = RecordLog()
        let engine = fromLog ? EventEngine(fetcher: { _, seq in log.fetch(seq: seq) }) : EventEngine()
        for (batch, recordSeq) in records {
            log.append(batch, recordSeq: recordSeq)
            engine.ingest(try StoredIdentifyBatch(decoding: batch.encoded(), limits: .logRecords), recordSeq: recordSeq)
        }
        return engine
    }

    static let direct = Attribution(source: "direct", medium: "direct", campaign: nil, rule: "direct", confidence: .high)

    @Test("every column of the $identify row follows SEMANTICS §1", arguments: [false, true])
    func derivedRow(fromLog: Bool) throws {
        let batch = StoredIdentifyBatch(project: "p", identifies: [
            Identify(anonymousID: "a1", userID: "u1", traits: ["plan": .string("pro")], timestamp: Self.t0, receivedAt: Self.t0 + 250_000),
            Identify(anonymousID: "a2", userID: "u2", timestamp: Self.t0 + 1, receivedAt: Self.t0 + 250_000),
        ])
        let engine = try Self.engine(fromLog: fromLog, [(batch, 3)])
        let rows = try engine.events(project: "p", EventsQuery(from: 0, to: .max, event: "$identify")).rows
        #expect(rows == [
            EventRow(event: Event(event: "$identify", anonymousID: "a1", userID: "u1", timestamp: Self.t0, properties: [:],
                                  receivedAt: Self.t0 + 250_000, attribution: Self.direct, seq: 3 << 20), user: "u1"),
            EventRow(event: Event(event: "$identify", anonymousID: "a2", userID: "u2", timestamp: Self.t0 + 1, properties: [:],
                                  receivedAt: Self.t0 + 250_000, attribution: Self.direct, seq: 3 << 20 | 1), user: "u2"),
        ])
    }

    @Test("an identify record written before received_at existed still decodes; its row has none", arguments: [false, true])
    func recordWithoutReceivedAt(fromLog: Bool) throws {
        // No received_at: encoded with fields 1-4 only, as identify records were before field 6.
        let old = StoredIdentifyBatch(project: "p", identifies: [Identify(anonymousID: "a1", userID: "u1", timestamp: Self.t0)])
        let engine = try Self.engine(fromLog: fromLog, [(old, 2)])
        let row = try #require(try engine.events(project: "p", EventsQuery(from: 0, to: .max)).rows.first)
        #expect(row.event.receivedAt == nil)
        #expect(row.event.timestamp == Self.t0 && row.event.attribution == Self.direct && row.user == "u1")
    }

    @Test("an identify stored without a timestamp takes its received time, for its row and for stitching", arguments: [false, true])
    func missingTimestampIsReceivedTime(fromLog: Bool) throws {
        let engine = try Self.engine(fromLog: fromLog, [
            (StoredIdentifyBatch(project: "p", identifies: [Identify(anonymousID: "a1", userID: "u1", receivedAt: Self.t0 + 100)]), 1),
            (StoredIdentifyBatch(project: "p", identifies: [Identify(anonymousID: "a1", userID: "u2", timestamp: Self.t0 + 200)]), 2),
        ])
        engine.ingest(StoredEventBatch(project: "p", events: [
            Event(event: "view", anonymousID: "a1", timestamp: Self.t0 + 50, attribution: Self.direct),
        ]), recordSeq: 3)
        let rows = try engine.events(project: "p", EventsQuery(from: 0, to: .max)).rows
        #expect(rows.map(\.event.event) == ["view", "$identify", "$identify"])
        #expect(rows.map(\.event.timestamp) == [Self.t0 + 50, Self.t0 + 100, Self.t0 + 200])
        // SEMANTICS §3: the earliest identify of a1 at or after t0 + 50 is u1's, at t0 + 100.
        #expect(rows.first?.user == "u1")
    }

    @Test("forget compaction keeps the received time of the identifies it does not erase", arguments: [false, true])
    func erasureKeepsOtherReceivedTimes(fromLog: Bool) throws {
        let batch = StoredIdentifyBatch(project: "p", identifies: [
            Identify(anonymousID: "a1", userID: "u1", timestamp: Self.t0, receivedAt: Self.t0 + 7),
            Identify(anonymousID: "a2", userID: "u2", timestamp: Self.t0 + 1, receivedAt: Self.t0 + 7),
        ])
        let erased = try #require(ErasedSlots.erase(batch, recordSeq: 3, seqs: [3 << 20]))
        let rewritten = try StoredIdentifyBatch(decoding: erased.encoded(), limits: .logRecords)
        #expect(rewritten.identifies[0] == Identify(anonymousID: "", userID: ""))  // nothing of u1 remains
        #expect(rewritten.identifies[1] == batch.identifies[1])
        let engine = try Self.engine(fromLog: fromLog, [(rewritten, 3)])
        let rows = try engine.events(project: "p", EventsQuery(from: 0, to: .max)).rows
        #expect(rows.map(\.event.anonymousID) == ["a2"])
        #expect(rows.first?.event.receivedAt == Self.t0 + 7 && rows.first?.event.seq == 3 << 20 | 1)
    }
}
