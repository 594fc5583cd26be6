import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// Seeded property tests: random data sets and random queries of every kind; the engine
/// must give the reference model's answers exactly (floats within 1e-9 relative).
@Suite("Engine vs reference (property tests)")
struct PropertyTests {
    /// Builds the engine and the reference from the same log. Odd seeds use a record
    /// fetcher (no large fields in memory), even seeds keep them in the engine.
    static func load(seed: UInt64) -> (EventEngine, ReferenceModel, DataGenerator) {
        var generator = DataGenerator(seed: seed)
        let log = generator.log()
        return load(log, generator, seed: seed)
    }

    static func load(_ log: [GeneratedRecord], _ generator: DataGenerator, seed: UInt64) -> (EventEngine, ReferenceModel, DataGenerator) {
        let reference = ReferenceModel()
        for record in log {
            switch record {
            case .events(let b, let s): reference.add(b, recordSeq: s)
            case .identifies(let b, let s): reference.add(b, recordSeq: s)
            case .forget(let f, _): reference.forget(f.userID)
            }
        }
        var bySeq: [UInt64: Event] = [:]
        for row in reference.rows { bySeq[row.event.seq!] = row.event }  // reference rows carry seq
        let frozen = bySeq
        let engine = seed % 2 == 1 ? EventEngine(fetcher: { _, seq in frozen[seq] }) : EventEngine()
        for record in log {
            switch record {
            case .events(let b, let s): engine.ingest(b, recordSeq: s)
            case .identifies(let b, let s): engine.ingest(b, recordSeq: s)
            case .forget(let f, let s): engine.forget(f, recordSeq: s)
            }
        }
        return (engine, reference, generator)
    }

    static let seeds: [UInt64] = Array(1...60)

    @Test("events pages, filters and cursors", arguments: seeds)
    func events(seed: UInt64) throws {
        var (engine, reference, g) = PropertyTests.load(seed: seed)
        for _ in 0..<4 {
            let from = DataGenerator.base + Int64.random(in: -60...600, using: &g.rng) * DataGenerator.minute
            var q = EventsQuery(from: from, to: from + Int64.random(in: 1...20_000, using: &g.rng) * DataGenerator.minute)
            if g.rng.chance(0.3) { q.event = g.rng.pick(DataGenerator.names) }
            if g.rng.chance(0.2) { q.source = g.rng.pick(["facebook", "google", "direct"]) }
            if g.rng.chance(0.2) { q.medium = g.rng.pick(["paid", "social", "direct"]) }
            if g.rng.chance(0.3) { q.userID = g.user() }
            if g.rng.chance(0.3) { q.anonymousID = g.anon() }
            q.limit = UInt32.random(in: 1...7, using: &g.rng)
            q.order = g.rng.chance(0.5) ? .ascending : .descending
            var pages = 0
            while pages < 50 {
                let e = try engine.events(project: DataGenerator.project, q)
                let r = reference.events(q)
                #expect(e == r, "seed \(seed) query \(q)")
                guard let next = r.nextCursor, e.nextCursor == next else { break }
                q.cursor = next
                pages += 1
            }
        }
    }

    @Test("stats and sources", arguments: seeds)
    func stats(seed: UInt64) throws {
        var (engine, reference, g) = PropertyTests.load(seed: seed)
        for _ in 0..<6 {
            var q = StatsQuery(metric: g.rng.chance(0.5) ? .count : .uniques)
            if g.rng.chance(0.6) {
                q.from = DataGenerator.base + Int64.random(in: -60...3000, using: &g.rng) * DataGenerator.minute
                q.to = q.from! + Int64.random(in: 1...9000, using: &g.rng) * DataGenerator.minute  // set just above
            }
            if g.rng.chance(0.4) { q.events = (0..<Int.random(in: 1...3, using: &g.rng)).map { _ in g.rng.pick(DataGenerator.names + ["never"]) } }
            q.groupBy = GroupField.allCases.shuffled(using: &g.rng).filter { _ in g.rng.chance(0.35) }
            q.interval = g.rng.pick([nil, .hour, .day, .week])
            q.unit = g.rng.chance(0.5) ? .user : .anonymous
            #expect(try engine.stats(project: DataGenerator.project, q) == reference.stats(q), "seed \(seed) \(q)")
        }
        for unit in UnitKind.allCases {
            let q = SourcesQuery(from: g.rng.chance(0.5) ? nil : DataGenerator.base + 600 * DataGenerator.minute, to: nil, unit: unit)
            #expect(engine.sources(project: DataGenerator.project, q) == reference.sources(q), "seed \(seed) \(q)")
        }
    }

    @Test("per-user helpers", arguments: seeds)
    func users(seed: UInt64) {
        var (engine, reference, g) = PropertyTests.load(seed: seed)
        for u in (0..<g.userCount).map({ "u\($0)" }) + ["nobody"] {
            let q = UserQuery(userID: u, conversionEvent: g.rng.chance(0.8) ? g.rng.pick(DataGenerator.names) : nil, preloginLimit: g.rng.chance(0.2) ? 2 : 1000)
            #expect(engine.user(project: DataGenerator.project, q) == reference.user(q), "seed \(seed) \(q)")
        }
    }

    @Test("funnels with every option, and experiment funnels", arguments: seeds)
    func funnels(seed: UInt64) throws {
        var (engine, reference, g) = PropertyTests.load(seed: seed)
        for _ in 0..<10 {
            let from = DataGenerator.base + Int64.random(in: -60...1200, using: &g.rng) * DataGenerator.minute
            let stepCount = Int.random(in: 2...4, using: &g.rng)
            var steps: [FunnelQuery.Step] = (0..<stepCount).map { _ in
                var s = FunnelQuery.Step(event: g.rng.pick(DataGenerator.names))
                if g.rng.chance(0.2), let v = g.rng.pick(DataGenerator.planValues) { s.filters = Properties([Property("plan", v)]) }
                return s
            }
            var q = FunnelQuery(from: from, to: from + Int64.random(in: 60...14_000, using: &g.rng) * DataGenerator.minute, steps: steps)
            if g.rng.chance(0.4) {
                q.windows = [nil] + (1..<stepCount).map { _ in g.rng.chance(0.5) ? Int64.random(in: 0...600, using: &g.rng) * DataGenerator.minute : nil }
            }
            if g.rng.chance(0.3) { q.window = Int64.random(in: 0...3000, using: &g.rng) * DataGenerator.minute }
            q.strict = g.rng.chance(0.3)
            if g.rng.chance(0.3) { q.allowance = g.rng.pick([1, DataGenerator.minute, 30 * DataGenerator.minute]) }
            q.count = g.rng.chance(0.3) ? .sessions : .units
            q.unit = g.rng.chance(0.3) ? .anonymous : .user
            if g.rng.chance(0.35) {
                let first = q.count == .units && g.rng.chance(0.5)
                q.experiment = FunnelQuery.Experiment(name: g.rng.chance(0.85) ? "exp1" : "exp2", exposureAsFirstStep: first)
                if first {
                    steps.removeLast()
                    q.steps = steps
                }
            } else {
                q.breakdown = g.rng.pick([nil, .property("plan"), .firstTouch])
            }
            let e = try engine.funnel(project: DataGenerator.project, q)
            expectSameFunnel(e, reference.funnel(q), "seed \(seed) \(q)")
        }
    }

    @Test("dedup check and forget", arguments: Array(seeds.prefix(20)))
    func dedup(seed: UInt64) {
        var generator = DataGenerator(seed: seed)
        let log = generator.log(forgetChance: 0.2)
        let reference = ReferenceModel()
        let engine = EventEngine()
        for record in log {
            switch record {
            case .events(let b, let s):
                reference.add(b, recordSeq: s)
                engine.ingest(b, recordSeq: s)
            case .identifies(let b, let s):
                reference.add(b, recordSeq: s)
                engine.ingest(b, recordSeq: s)
            case .forget(let f, let s):
                // Each forget deletes exactly the rows the reference deletes.
                #expect(Int(engine.forget(f, recordSeq: s).hidden) == reference.forget(f.userID), "seed \(seed)")
            }
        }
        for id in reference.seenEventIDs { #expect(engine.isDuplicate(project: DataGenerator.project, eventID: id)) }
        #expect(!engine.isDuplicate(project: DataGenerator.project, eventID: "never-used"))
        #expect(engine.eventCount(project: DataGenerator.project) == reference.rows.count)
    }
}

/// Guards the property tests against vacuity: over the seeds, the generated data must
/// produce non-trivial answers of every kind (reference side).
@Suite("Property-test coverage")
struct PropertyCoverageTests {
    @Test("generated data exercises stitching, funnels, sessions and experiments")
    func coverage() {
        var completed = 0, pValues = 0, sessionFunnels = 0, prelogins = 0, switches = 0, hidden = 0, duplicates = 0
        for seed in PropertyTests.seeds {
            var gen = DataGenerator(seed: seed)
            let log = gen.log()
            let (_, reference, _) = PropertyTests.load(log, gen, seed: seed)
            let generatedEvents = log.reduce(0) { n, r in if case .events(let b, _) = r { return n + b.events.count } else { return n } }
            let generatedIdentifies = log.reduce(0) { n, r in if case .identifies(let b, _) = r { return n + b.identifies.count } else { return n } }
            duplicates += generatedEvents + generatedIdentifies - reference.rows.count - reference.deletedCount
            hidden += reference.deletedCount
            for a in Set(reference.identifies.map(\.anon)) where Set(reference.identifiesOf(a).map(\.user)).count > 1 { switches += 1 }
            for u in 0..<gen.userCount where !reference.user(UserQuery(userID: "u\(u)")).prelogin.isEmpty { prelogins += 1 }
            let f = reference.funnel(FunnelQuery(from: DataGenerator.base, to: DataGenerator.base + 20_000 * DataGenerator.minute, steps: [.init(event: "view"), .init(event: "cta")]))
            if (f.groups.first?.timeToComplete.n ?? 0) > 0 { completed += 1 }
            let s = reference.funnel(FunnelQuery(from: DataGenerator.base, to: DataGenerator.base + 20_000 * DataGenerator.minute, steps: [.init(event: "view"), .init(event: "cta")], count: .sessions))
            if (s.groups.first?.steps[1].reached ?? 0) > 0 { sessionFunnels += 1 }
            let x = reference.funnel(FunnelQuery(from: DataGenerator.base, to: DataGenerator.base + 20_000 * DataGenerator.minute, steps: [.init(event: "view")], experiment: .init(name: "exp1", exposureAsFirstStep: true)))
            pValues += x.comparisons.flatMap(\.steps).filter { $0.overall.pValue != nil }.count
        }
        #expect(completed >= 20 && sessionFunnels >= 20 && pValues >= 10 && prelogins >= 10 && switches >= 5 && hidden > 0 && duplicates > 0,
                "completed \(completed) sessions \(sessionFunnels) p \(pValues) prelogin \(prelogins) switches \(switches) hidden \(hidden)")
    }
}
