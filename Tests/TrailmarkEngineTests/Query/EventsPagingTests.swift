import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// Paging `EventsQuery` through the per-snapshot time order (`TimeOrder`): every page must
/// equal the reference model's, which filters and sorts every row from scratch, while
/// records (events, identifies, forgets) arrive between pages.
@Suite("Events paging through the time order")
struct EventsPagingTests {
    /// Several generated logs one after the other (record seqs shifted so they keep
    /// growing): up to about two thousand rows with ties, out-of-order timestamps and forgets.
    static func log(_ g: inout DataGenerator) -> [GeneratedRecord] {
        var records: [GeneratedRecord] = []
        for part in 0..<Int.random(in: 2...6, using: &g.rng) {
            let shift = UInt64(part) * 1_000
            for r in g.log() {
                switch r {
                case .events(let b, let s): records.append(.events(b, s + shift))
                case .identifies(let b, let s): records.append(.identifies(b, s + shift))
                case .forget(let f, let s): records.append(.forget(f, s + shift))
                }
            }
        }
        return records
    }

    static func apply(_ record: GeneratedRecord, _ engine: EventEngine, _ reference: ReferenceModel) {
        switch record {
        case .events(let b, let s):
            engine.ingest(b, recordSeq: s)
            reference.add(b, recordSeq: s)
        case .identifies(let b, let s):
            engine.ingest(b, recordSeq: s)
            reference.add(b, recordSeq: s)
        case .forget(let f, let s):
            engine.forget(f, recordSeq: s)
            reference.forget(f.userID)
        }
    }

    static func randomQuery(_ g: inout DataGenerator) -> EventsQuery {
        let wide = g.rng.chance(0.5)
        let from = wide ? DataGenerator.base - DataGenerator.minute
            : DataGenerator.base + Int64.random(in: -60...6_000, using: &g.rng) * DataGenerator.minute
        let to = wide ? DataGenerator.base + 20 * 24 * 60 * DataGenerator.minute
            : from + Int64.random(in: 0...9_000, using: &g.rng) * DataGenerator.minute
        var q = EventsQuery(from: from, to: to)
        if g.rng.chance(0.25) { q.event = g.rng.pick(DataGenerator.names) }
        if g.rng.chance(0.15) { q.source = g.rng.pick(["facebook", "google", "direct"]) }
        if g.rng.chance(0.15) { q.medium = g.rng.pick(["paid", "social", "direct"]) }
        if g.rng.chance(0.15) { q.userID = g.user() }
        if g.rng.chance(0.15) { q.anonymousID = g.anon() }
        q.limit = g.rng.chance(0.8) ? UInt32.random(in: 1...40, using: &g.rng) : UInt32.random(in: 41...3_000, using: &g.rng)
        q.order = g.rng.chance(0.5) ? .ascending : .descending
        return q
    }

    static func key(_ row: EventRow) -> (Int64, UInt64) { (row.event.timestamp ?? 0, row.event.seq ?? 0) }

    @Test("pages equal the reference's, in both orders, with records arriving between pages", arguments: Array(UInt64(1)...40))
    func pagesWithAppends(seed: UInt64) throws {
        var g = DataGenerator(seed: seed &* 7_919)
        var pending = EventsPagingTests.log(&g)[...]
        let engine = EventEngine(), reference = ReferenceModel()
        // Start with part of the log; the rest arrives while paging.
        for record in pending.prefix(pending.count / 2) { EventsPagingTests.apply(record, engine, reference) }
        pending = pending.dropFirst(pending.count / 2)
        for _ in 0..<6 {
            var q = EventsPagingTests.randomQuery(&g)
            var last: (Int64, UInt64)?
            for _ in 0..<400 {
                let e = try engine.events(project: DataGenerator.project, q)
                #expect(e == reference.events(q), "seed \(seed) query \(q)")
                // No overlap: keys keep moving in the query's direction across pages.
                for row in e.rows {
                    let k = EventsPagingTests.key(row)
                    if let l = last { #expect(q.order == .ascending ? k > l : k < l, "seed \(seed)") }
                    last = k
                }
                guard let next = e.nextCursor else { break }
                q.cursor = next
                if let record = pending.first, g.rng.chance(0.4) {
                    EventsPagingTests.apply(record, engine, reference)
                    pending = pending.dropFirst()
                }
            }
        }
    }

    @Test("without appends, the pages concatenated are exactly every match (no gap, no overlap)", arguments: Array(UInt64(1)...30))
    func pagesCoverEveryMatch(seed: UInt64) throws {
        var g = DataGenerator(seed: seed &* 104_729)
        let engine = EventEngine(), reference = ReferenceModel()
        for record in EventsPagingTests.log(&g) { EventsPagingTests.apply(record, engine, reference) }
        for _ in 0..<6 {
            var q = EventsPagingTests.randomQuery(&g)
            var whole = q
            whole.limit = 10_000
            let expected = reference.events(whole).rows
            var got: [EventRow] = []
            var pages = 0
            while pages <= expected.count {
                let e = try engine.events(project: DataGenerator.project, q)
                got += e.rows
                pages += 1
                guard let next = e.nextCursor else { break }
                #expect(next == "t\(e.rows.last!.event.timestamp!).\(e.rows.last!.event.seq!)")  // a page with a cursor is not empty
                q.cursor = next
            }
            #expect(got == expected, "seed \(seed) query \(q)")
        }
    }

    @Test("the time order, extended and truncated, equals a sort of every row", arguments: Array(UInt64(1)...20))
    func timeOrder(seed: UInt64) {
        var g = DataGenerator(seed: seed &* 31)
        let log = EventsPagingTests.log(&g)
        let engine = EventEngine(), reference = ReferenceModel()
        let store = engine.store(DataGenerator.project)
        var orders: [(StoreSnapshot, TimeOrder)] = []
        for (i, record) in log.enumerated() {
            EventsPagingTests.apply(record, engine, reference)
            if i % 3 != 0 { continue }
            let snap = store.snapshot()
            let brute = (0..<snap.rowCount).sorted { snap.precedes($0, $1) }.map { UInt32($0) }
            #expect(TimeOrder(snap).rows == brute)
            for (earlier, order) in orders {
                #expect(order.extended(to: snap).rows == brute)
                #expect(TimeOrder(snap).truncated(to: earlier).rows == order.rows)
            }
            let order = TimeOrder(snap)
            // firstPosition against a linear search, at row keys and just beside them.
            for probe in 0..<min(snap.rowCount, 20) {
                let row = Int.random(in: 0..<snap.rowCount, using: &g.rng)
                let t = snap.timestamp[row] + Int64.random(in: -1...1, using: &g.rng)
                let s = probe % 2 == 0 ? snap.seq[row] : 0
                for strictly in [false, true] {
                    let linear = order.rows.firstIndex { r in
                        let k = (snap.timestamp[Int(r)], snap.seq[Int(r)])
                        return strictly ? k > (t, s) : k >= (t, s)
                    } ?? order.rows.count
                    #expect(order.firstPosition(snap, from: t, s, strictly: strictly) == linear)
                }
            }
            orders = Array((orders + [(snap, order)]).suffix(3))
        }
    }

    @Test("a query on a snapshot older than the cached order answers for its own rows")
    func olderSnapshot() throws {
        var g = DataGenerator(seed: 5)
        let log = EventsPagingTests.log(&g)
        let engine = EventEngine(), reference = ReferenceModel()
        for record in log.prefix(log.count / 2) { EventsPagingTests.apply(record, engine, reference) }
        let store = engine.store(DataGenerator.project)
        let old = store.snapshot()
        let q = EventsQuery(from: DataGenerator.base - 1, to: DataGenerator.base + 30 * 24 * 60 * DataGenerator.minute, limit: 10_000)
        let expected = reference.events(q)
        for record in log.dropFirst(log.count / 2) { EventsPagingTests.apply(record, engine, reference) }
        // A later snapshot caches an order covering more rows than `old`.
        _ = try engine.events(project: DataGenerator.project, q)
        #expect(store.state.withLock { $0.timeOrderCache?.rowCount ?? 0 } > old.rowCount)
        let page = try EventsQueryRunner(store: store, snapshot: old).run(q)
        #expect(page == expected)
    }
}
