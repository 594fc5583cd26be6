import Synchronization
import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// Property filters, property breakdowns and experiment groups read through per-key
/// property columns (engine with a fetcher) answer exactly as with the properties in
/// memory, also for rows ingested after a column was built; a column is read from the
/// log once, then extended only by new rows.
@Suite("Store: per-key property columns")
struct PropertyColumnTests {
    /// Encoded log records by record seq, read back as the services' log fetcher does
    /// (one decode per fetch; erased slots and unknown records give nil), counting fetches.
    final class EncodedLog: Sendable {
        private let records = Mutex<[UInt64: (kind: UInt8, bytes: [UInt8])]>([:])
        let fetches = Atomic<Int>(0)

        func append(_ record: GeneratedRecord) {
            switch record {
            case .events(let b, let s): records.withLock { $0[s] = (1, b.encoded()) }
            case .identifies(let b, let s): records.withLock { $0[s] = (2, b.encoded()) }
            case .forget: break
            }
        }

        func fetch(seq: UInt64) -> Event? {
            fetches.add(1, ordering: .relaxed)
            guard let record = records.withLock({ $0[seq >> 20] }) else { return nil }
            let index = Int(seq & 0xFFFFF)
            if record.kind == 1 {
                guard let batch = try? StoredEventBatch(decoding: record.bytes, limits: .logRecords), index < batch.events.count,
                    !ErasedSlots.isErased(batch.events[index])
                else { return nil }
                var e = batch.events[index]
                e.seq = seq
                return e
            }
            guard let batch = try? StoredIdentifyBatch(decoding: record.bytes, limits: .logRecords), index < batch.identifies.count else { return nil }
            return batch.identifies[index].impliedEvent(seq: seq)
        }
    }

    static func feed(_ records: ArraySlice<GeneratedRecord>, _ engines: [EventEngine], _ log: EncodedLog) {
        for record in records {
            log.append(record)
            for engine in engines {
                switch record {
                case .events(let b, let s): engine.ingest(b, recordSeq: s)
                case .identifies(let b, let s): engine.ingest(b, recordSeq: s)
                case .forget(let f, let s): engine.forget(f, recordSeq: s)
                }
            }
        }
    }

    /// Funnels that read properties: step filters (a value, null), a property breakdown,
    /// experiments (with the exposure as step 1 or not), counted by units and sessions.
    static let queries: [FunnelQuery] = {
        let from = DataGenerator.base, to = DataGenerator.base + 20_000 * DataGenerator.minute
        let pro = Properties([Property("plan", .string("pro"))])
        let none = Properties([Property("plan", .null)])
        var out: [FunnelQuery] = []
        for count in [CountMode.units, .sessions] {
            var q = FunnelQuery(from: from, to: to, steps: [.init(event: "$pageview", filters: pro), .init(event: "view"), .init(event: "cta", filters: none)], count: count)
            out.append(q)
            q.breakdown = .property("plan")
            out.append(q)
            q.steps = [.init(event: "view"), .init(event: "buy", filters: Properties([Property("plan", .int(1))]))]
            out.append(q)
            q.breakdown = nil
            q.steps = [.init(event: "view"), .init(event: "cta")]
            q.experiment = FunnelQuery.Experiment(name: "exp1", exposureAsFirstStep: false)
            out.append(q)
            if count == .units {
                q.experiment = FunnelQuery.Experiment(name: "exp1", exposureAsFirstStep: true)
                q.steps = [.init(event: "cta", filters: pro)]
                out.append(q)
            }
        }
        return out
    }()

    @Test("with and without a fetcher: same answers, before and after more rows arrive", arguments: Array(UInt64(1)...24))
    func sameAnswers(seed: UInt64) throws {
        var generator = DataGenerator(seed: seed)
        let records = generator.log()
        let log = EncodedLog()
        let fetching = EventEngine(fetcher: { _, seq in log.fetch(seq: seq) })
        let inMemory = EventEngine()
        let half = records.count / 2
        Self.feed(records[..<half], [fetching, inMemory], log)
        for q in Self.queries {
            expectSameFunnel(try fetching.funnel(project: DataGenerator.project, q), try inMemory.funnel(project: DataGenerator.project, q), "seed \(seed) first half \(q)")
        }
        if fetching.eventCount(project: DataGenerator.project) > 0 {
            #expect(fetching.memoryReport(project: DataGenerator.project).propertyColumnBytes > 0)
        }
        #expect(inMemory.memoryReport(project: DataGenerator.project).propertyColumnBytes == 0)
        // The columns cover the first half: asking again reads nothing from the log.
        let before = log.fetches.load(ordering: .relaxed)
        for q in Self.queries { _ = try fetching.funnel(project: DataGenerator.project, q) }
        #expect(log.fetches.load(ordering: .relaxed) == before, "seed \(seed): a covered column was read again")

        let rowsBefore = fetching.snapshot(DataGenerator.project).rowCount
        Self.feed(records[half...], [fetching, inMemory], log)
        let added = fetching.snapshot(DataGenerator.project).rowCount - rowsBefore
        let beforeSecond = log.fetches.load(ordering: .relaxed)
        for q in Self.queries {
            expectSameFunnel(try fetching.funnel(project: DataGenerator.project, q), try inMemory.funnel(project: DataGenerator.project, q), "seed \(seed) whole log \(q)")
        }
        // Only the new rows were read, in two passes: `plan`, then `experiment` with `group`.
        #expect(log.fetches.load(ordering: .relaxed) - beforeSecond <= 2 * added, "seed \(seed)")
    }

    @Test("at most maxKeys columns are kept; the least recently used goes first")
    func boundedKeys() {
        let columns = PropertyColumns()
        let snap = ProjectStore(project: "p", fetcher: { _, _ in nil }, fingerprint: .fixedKey).snapshot()
        func use(_ key: String) { _ = columns.views([key], covering: snap) }
        for k in 0..<(PropertyColumns.maxKeys + 3) { use("k\(k)") }
        use("k3")  // used again: survives the next eviction
        use("another")
        let keys = Set(columns.keys)
        #expect(keys.count == PropertyColumns.maxKeys)
        #expect(keys.contains("k3") && keys.contains("another"))
        #expect(!keys.contains("k0") && !keys.contains("k4"))
    }

    @Test("several keys are read in one pass: each row is fetched once")
    func onePass() throws {
        var generator = DataGenerator(seed: 7)
        let records = generator.log(forgetChance: 0)
        let log = EncodedLog()
        let engine = EventEngine(fetcher: { _, seq in log.fetch(seq: seq) })
        Self.feed(records[...], [engine], log)
        let rows = engine.snapshot(DataGenerator.project).rowCount
        #expect(rows > 0)
        var q = FunnelQuery(from: 0, to: .max, steps: [.init(event: "view", filters: Properties([Property("a", .int(1))])), .init(event: "cta")])
        q.breakdown = .property("plan")
        _ = try engine.funnel(project: DataGenerator.project, q)
        #expect(log.fetches.load(ordering: .relaxed) == rows, "keys `plan` and `a` built together")
    }
}
