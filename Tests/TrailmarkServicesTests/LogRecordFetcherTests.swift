import Foundation
import Logging
import Testing
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire
@testable import TrailmarkServices

/// The engine's log-backed `RecordFetcher`: events and `$identify` events by seq, nil for
/// what is not an event of the project, a record cache that decodes a record once, and
/// no stale copy after forget erasure rewrites a record.
@Suite struct LogRecordFetcherTests {
    static let t0: Int64 = 1_777_939_200_000_000

    static func event(_ i: Int) -> Event {
        Event(event: "view", anonymousID: "a\(i)", userID: i == 1 ? "u1" : nil, timestamp: t0 + Int64(i), eventID: "e\(i)",
              url: "https://x.example/\(i)", properties: Properties([Property("plan", .string("p\(i)"))]), receivedAt: t0 + 9)
    }

    /// A log holding: 0 events of `p`, 1 identifies of `p`, 2 a forget, 3 events of `q`.
    static func filledLog(_ dir: String) async throws -> (SegmentLog, [Event], Identify) {
        let log = try SegmentLog.open(directory: dir)
        let events = (0..<3).map(event)
        let identify = Identify(anonymousID: "a1", userID: "u1", timestamp: t0 + 5, receivedAt: t0 + 6)
        _ = try await log.append(StoredEventBatch(project: "p", events: events).encoded(), kind: .eventBatch)
        _ = try await log.append(StoredIdentifyBatch(project: "p", identifies: [identify]).encoded(), kind: .identifyBatch)
        _ = try await log.append(StoredForget(project: "p", userID: "u1", requestedAt: 0).encoded(), kind: .forget)
        _ = try await log.append(StoredEventBatch(project: "q", events: [event(7)]).encoded(), kind: .eventBatch)
        return (log, events, identify)
    }

    static func seq(_ record: UInt64, _ index: Int) -> UInt64 { StoredEventBatch.eventSeq(recordSeq: record, index: index) }

    @Test func readsEventsAndIdentifiesBySeqAndNothingElse() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-fetch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (log, events, identify) = try await Self.filledLog(dir)
        let fetcher = LogRecordFetcher(log: log)
        for i in 0..<3 {
            var expected = events[i]
            expected.seq = Self.seq(0, i)
            #expect(fetcher.fetch(project: "p", seq: Self.seq(0, i)) == expected)
        }
        #expect(fetcher.fetch(project: "p", seq: Self.seq(1, 0)) == identify.impliedEvent(seq: Self.seq(1, 0)))
        #expect(fetcher.fetch(project: "p", seq: Self.seq(0, 3)) == nil, "index past the batch")
        #expect(fetcher.fetch(project: "p", seq: Self.seq(2, 0)) == nil, "a forget holds no event")
        #expect(fetcher.fetch(project: "p", seq: Self.seq(3, 0)) == nil, "record of another project")
        #expect(fetcher.fetch(project: "q", seq: Self.seq(3, 0))?.anonymousID == "a7")
        #expect(fetcher.fetch(project: "p", seq: Self.seq(9, 0)) == nil, "record not in the log")
        // Each record was decoded once (records 0 and 3 served the later fetches from the cache).
        let counts = fetcher.cacheCounts
        #expect(counts.misses == 5 && counts.hits == 4, "\(counts)")
        await log.close()
    }

    @Test func keepsAtMostCapacityRecordsAndBytes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-fetch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (log, _, _) = try await Self.filledLog(dir)
        let fetcher = LogRecordFetcher(log: log, capacity: 2)
        _ = fetcher.fetch(project: "p", seq: Self.seq(0, 0))
        _ = fetcher.fetch(project: "p", seq: Self.seq(1, 0))
        _ = fetcher.fetch(project: "p", seq: Self.seq(0, 1))  // hit: record 0 is now the most recent
        _ = fetcher.fetch(project: "q", seq: Self.seq(3, 0))  // evicts record 1
        _ = fetcher.fetch(project: "p", seq: Self.seq(0, 2))  // still cached
        _ = fetcher.fetch(project: "p", seq: Self.seq(1, 0))  // decoded again
        let counts = fetcher.cacheCounts
        #expect(counts.misses == 4 && counts.hits == 2, "\(counts)")
        // A byte budget smaller than any record keeps only the newest.
        let tight = LogRecordFetcher(log: log, capacity: 64, byteBudget: 1)
        _ = tight.fetch(project: "p", seq: Self.seq(0, 0))
        _ = tight.fetch(project: "p", seq: Self.seq(0, 1))  // hit
        _ = tight.fetch(project: "p", seq: Self.seq(1, 0))  // evicts record 0
        _ = tight.fetch(project: "p", seq: Self.seq(0, 2))
        #expect(tight.cacheCounts.misses == 3 && tight.cacheCounts.hits == 1, "\(tight.cacheCounts)")
        await log.close()
    }

    @Test func forgetErasureLeavesNoStaleDecodedRecord() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-fetch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (log, events, _) = try await Self.filledLog(dir)
        let fetcher = LogRecordFetcher(log: log)
        let maintenance = LogMaintenance(log: log, configuration: .init(), logger: Logger(label: "test"), metrics: ServiceMetrics(), fingerprint: .fixedKey, records: fetcher)
        #expect(fetcher.fetch(project: "p", seq: Self.seq(0, 1))?.userID == "u1")  // now cached
        #expect(fetcher.fetch(project: "p", seq: Self.seq(1, 0))?.userID == "u1")
        maintenance.forgetApplied(tombstone: 2, erasedSeqs: [Self.seq(0, 1), Self.seq(1, 0)])
        try await maintenance.eraseForgotten()
        #expect(fetcher.fetch(project: "p", seq: Self.seq(0, 1)) == nil, "the erased event")
        #expect(fetcher.fetch(project: "p", seq: Self.seq(1, 0)) == nil, "the erased identify")
        var kept = events[2]
        kept.seq = Self.seq(0, 2)
        #expect(fetcher.fetch(project: "p", seq: Self.seq(0, 2)) == kept, "the record's other events stay")
        await log.close()
    }
}
