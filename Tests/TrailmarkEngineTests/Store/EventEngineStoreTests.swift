import Synchronization
import Testing
import TrailmarkWire
@testable import TrailmarkEngine

@Suite("Store: ingest, dedup, snapshots, validation")
struct EventEngineStoreTests {
    static let t0: Int64 = 1_777_939_200_000_000  // 2026-05-05T00:00:00Z, a Tuesday

    static func batch(_ n: Int, offset: Int = 0, idPrefix: String? = "id") -> StoredEventBatch {
        StoredEventBatch(project: "p", events: (0..<n).map { i in
            Event(event: "e", anonymousID: "a\((offset + i) % 7)", timestamp: t0 + Int64(offset + i), eventID: idPrefix.map { "\($0)\(offset + i)" },
                  attribution: Attribution(source: "direct", medium: "direct", rule: "direct", confidence: .high))
        })
    }

    @Test("an event_id seen before is stored once, also across batches; seq comes from the record")
    func dedup() throws {
        let engine = EventEngine()
        #expect(!engine.isDuplicate(project: "p", eventID: "id0"))
        #expect(engine.ingest(Self.batch(3), recordSeq: 7) == EventEngine.IngestCounts(accepted: 3, duplicates: 0))
        #expect(engine.isDuplicate(project: "p", eventID: "id0"))
        #expect(!engine.isDuplicate(project: "other", eventID: "id0"))
        #expect(engine.ingest(Self.batch(5), recordSeq: 8) == EventEngine.IngestCounts(accepted: 2, duplicates: 3))
        #expect(engine.ingest(Self.batch(2, idPrefix: nil), recordSeq: 9).accepted == 2)
        let rows = try engine.events(project: "p", EventsQuery(from: 0, to: .max, limit: 100)).rows
        #expect(rows.count == 7)
        // Timestamps are t0 + offset: record 9's two events tie with record 7's first two
        // and come after them by seq; record 8 adds only ids 3 and 4 (indexes 3 and 4).
        let expected: [UInt64] = [7 << 20, 9 << 20, 7 << 20 | 1, 9 << 20 | 1, 7 << 20 | 2, 8 << 20 | 3, 8 << 20 | 4]
        #expect(rows.map { $0.event.seq! } == expected)  // stored rows carry their seq
    }

    @Test("a reserved event-id set still finds every retry, across growth")
    func reservedDedup() {
        let engine = EventEngine()
        engine.reserve(project: "p", events: 3000)
        var accepted = 0, duplicates = 0
        for r in 0..<40 {
            // Each batch repeats half of the previous batch's ids.
            let counts = engine.ingest(Self.batch(200, offset: r * 100), recordSeq: UInt64(r + 1))
            accepted += counts.accepted
            duplicates += counts.duplicates
        }
        #expect(accepted == 4100 && duplicates == 3900)
        #expect(engine.isDuplicate(project: "p", eventID: "id4099") && !engine.isDuplicate(project: "p", eventID: "id4100"))
    }

    @Test("computes attribution when a stored event lacks it")
    func attributionAtIngest() throws {
        let engine = EventEngine()
        engine.ingest(StoredEventBatch(project: "p", events: [Event(event: "e", anonymousID: "a", timestamp: Self.t0, url: "https://x.io/?gclid=1")]), recordSeq: 1)
        let row = try engine.events(project: "p", EventsQuery(from: 0, to: .max)).rows[0]
        #expect(row.event.attribution?.source == "google" && row.event.attribution?.medium == "paid")
    }

    @Test("each row keeps its attribution: many distinct ones, equal ones with separate storage, missing ones")
    func attributionsPerRow() throws {
        let engine = EventEngine()
        var expected: [Attribution] = []
        for r in 0..<6 {
            var events: [Event] = []
            for i in 0..<120 {
                let k = (i * 7 + r) % 40  // 40 distinct values: more than the recent ones kept
                // A fresh campaign string per event: equal values, separate storage.
                let campaign = k % 3 == 0 ? nil : String(repeating: "campaign-", count: 2) + String(k)
                let stored = Attribution(source: "s\(k % 11)", medium: "m\(k % 4)", campaign: campaign, rule: "utm", confidence: k % 2 == 0 ? .high : .low)
                let missing = i % 13 == 0
                events.append(Event(event: "e", anonymousID: "a\(i % 9)", timestamp: Self.t0 + Int64(r * 1000 + i),
                                    url: missing ? "https://x.io/?utm_source=S\(i)&utm_medium=email" : nil, attribution: missing ? nil : stored))
                expected.append(missing ? AttributionClassifier.classify(url: events[i].url, referrer: nil) : stored)
            }
            engine.ingest(StoredEventBatch(project: "p", events: events), recordSeq: UInt64(r + 1))
        }
        let rows = try engine.events(project: "p", EventsQuery(from: 0, to: .max, limit: 1000)).rows
        #expect(rows.map { $0.event.attribution } == expected)
    }

    static let concurrentTotal = 300 * 50

    /// Ingests 300 records of 50 events (ids `id0`…) on another task while `check` runs here
    /// again and again, given the events whose ingest returned before that check started;
    /// returns how many checks ran.
    static func whileIngesting(_ engine: EventEngine, _ check: (_ ingested: Int, _ round: Int) throws -> Void) async rethrows -> Int {
        let ingested = Atomic<Int>(0)
        async let writer: Void = Task.detached {
            for b in 0..<300 {
                engine.ingest(Self.batch(50, offset: b * 50), recordSeq: UInt64(b + 1))
                ingested.store((b + 1) * 50, ordering: .releasing)
            }
        }.value
        var checks = 0
        while ingested.load(ordering: .acquiring) < concurrentTotal {
            try check(ingested.load(ordering: .acquiring), checks)
            checks += 1
            // Give the pool back: on 2 cores the writer task may need this very thread.
            await Task.yield()
        }
        await writer
        return checks
    }

    @Test("queries see everything acknowledged before they start while ingest runs")
    func concurrentSnapshots() async throws {
        let engine = EventEngine()
        let total = Self.concurrentTotal
        let checks = try await Self.whileIngesting(engine) { before, _ in
            let count = try engine.stats(project: "p", StatsQuery(metric: .count)).rows[0].value
            let page = try engine.events(project: "p", EventsQuery(from: 0, to: .max, limit: 1, order: .descending))
            #expect(Int(count) >= before && Int(count) <= total)
            #expect(page.rows.count == (count > 0 || before > 0 ? 1 : page.rows.count))
        }
        #expect(try engine.stats(project: "p", StatsQuery(metric: .count)).rows[0].value == UInt64(total))
        #expect(checks > 0)
    }

    /// The event-id set has its own lock (`ProjectStore.ids`): a duplicate check made while
    /// the indexer adds records sees every id of every record whose ingest returned, and
    /// never an id no record holds.
    @Test("duplicate checks during ingest see every id already ingested and no other")
    func concurrentDuplicateChecks() async throws {
        let engine = EventEngine()
        let total = Self.concurrentTotal
        let checks = await Self.whileIngesting(engine) { before, round in
            let probe = (0 ..< 8).map { before == 0 ? 0 : ($0 * 7919) % before }
            let ids = probe.map { "id\($0)" } + ["id\(total + round)", "never-\(round)"]
            let answers = engine.areDuplicates(project: "p", fingerprints: ids.map { engine.fingerprint($0) })
            #expect(answers.prefix(8).allSatisfy { $0 } || before == 0)
            #expect(!answers[8] && !answers[9])
        }
        #expect(checks > 0)
    }

    @Test("week buckets start on Monday 00:00 UTC; day and hour buckets floor")
    func buckets() {
        let monday = Self.t0 - 86_400_000_000  // 2026-05-04
        #expect(StatsRunner.bucketStart(Self.t0 + 5, .week) == monday)
        #expect(StatsRunner.bucketStart(monday, .week) == monday)
        #expect(StatsRunner.bucketStart(monday - 1, .week) == monday - 7 * 86_400_000_000)
        #expect(StatsRunner.bucketStart(Self.t0 + 3_600_000_001, .hour) == Self.t0 + 3_600_000_000)
        #expect(StatsRunner.bucketStart(-1, .day) == -86_400_000_000)
        #expect(StatsRunner.bucketStart(0, .week) == -3 * 86_400_000_000)  // 1970-01-01 was a Thursday
    }

    @Test("invalid queries name the field")
    func validation() {
        let engine = EventEngine()
        let steps = [FunnelQuery.Step(event: "a"), FunnelQuery.Step(event: "b")]
        func field(_ q: FunnelQuery) -> String? {
            do { _ = try engine.funnel(project: "p", q); return nil } catch { return error.field }
        }
        #expect(field(FunnelQuery(from: 0, to: 1, steps: [steps[0]])) == "steps")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: Array(repeating: steps[0], count: 21))) == "steps")
        #expect(field(FunnelQuery(from: 2, to: 1, steps: steps)) == "to")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, windows: [nil])) == "windows")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, windows: [5, nil])) == "windows[0]")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, windows: [nil, -1])) == "windows[1]")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, window: -1)) == "window")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, allowance: -1)) == "allowance")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: [steps[0]], count: .sessions, experiment: .init(name: "x", exposureAsFirstStep: true))) == "experiment.exposure_as_first_step")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: steps, breakdown: .firstTouch, experiment: .init(name: "x"))) == "breakdown")
        #expect(field(FunnelQuery(from: 0, to: 1, steps: [steps[0]], experiment: .init(name: "x", exposureAsFirstStep: true))) == nil)
        #expect(throws: EngineError.self) { try engine.events(project: "p", EventsQuery(from: 0, to: 1, limit: 0)) }
        #expect(throws: EngineError.self) { try engine.events(project: "p", EventsQuery(from: 0, to: 1, cursor: "garbage")) }
        #expect(throws: EngineError.self) { try engine.stats(project: "p", StatsQuery(metric: .count, groupBy: [.event, .event])) }
    }

    @Test("an unknown project answers empty, with the one stats row")
    func emptyProject() throws {
        let engine = EventEngine()
        #expect(try engine.stats(project: "none", StatsQuery(metric: .uniques)).rows == [StatsRow(value: 0)])
        #expect(try engine.stats(project: "none", StatsQuery(metric: .uniques, interval: .day)).rows.isEmpty)
        let f = try engine.funnel(project: "none", FunnelQuery(from: 0, to: 10, steps: [.init(event: "a"), .init(event: "b")]))
        #expect(f.groups.count == 1 && f.groups[0].steps.map(\.reached) == [0, 0] && f.groups[0].steps[1].conversion == nil)
    }
}
