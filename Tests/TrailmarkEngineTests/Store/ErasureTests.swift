import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// Forget compaction must not change any answer: a log whose forgotten slots are erased
/// (`ErasedSlots`) and whose tombstones are dropped replays into an engine that answers
/// exactly like the engine that saw the original log and applied the forgets.
@Suite("Forget erasure")
struct ErasureTests {
    /// The log as forget compaction leaves it, given every forget's erased seqs.
    static func erased(_ log: [GeneratedRecord], seqs: Set<UInt64>) -> [GeneratedRecord] {
        log.compactMap { record in
            switch record {
            case .events(let b, let s): .events(ErasedSlots.erase(b, recordSeq: s, seqs: seqs, fingerprint: .fixedKey) ?? b, s)
            case .identifies(let b, let s): .identifies(ErasedSlots.erase(b, recordSeq: s, seqs: seqs) ?? b, s)
            case .forget: nil
            }
        }
    }

    static func replay(_ log: [GeneratedRecord], into engine: EventEngine) -> Set<UInt64> {
        var erased: Set<UInt64> = []
        for record in log {
            switch record {
            case .events(let b, let s): engine.ingest(b, recordSeq: s)
            case .identifies(let b, let s): engine.ingest(b, recordSeq: s)
            case .forget(let f, let s): erased.formUnion(engine.forget(f, recordSeq: s).erasedSeqs)
            }
        }
        return erased
    }

    @Test("replay of the erased log gives the same answers", arguments: Array(PropertyTests.seeds.prefix(30)))
    func sameAnswers(seed: UInt64) throws {
        var generator = DataGenerator(seed: seed)
        let log = generator.log(forgetChance: 0.25)
        let original = EventEngine()
        let seqs = ErasureTests.replay(log, into: original)
        let compacted = ErasureTests.erased(log, seqs: seqs)
        let replayed = EventEngine()
        #expect(ErasureTests.replay(compacted, into: replayed).isEmpty)
        // Erasing twice changes nothing more.
        #expect(ErasureTests.erased(compacted, seqs: seqs).map { "\($0)" } == compacted.map { "\($0)" })

        let p = DataGenerator.project
        let from = DataGenerator.base - 1_000 * DataGenerator.minute, to = DataGenerator.base + 30_000 * DataGenerator.minute
        var all = EventsQuery(from: from, to: to)
        all.limit = 10_000
        #expect(try replayed.events(project: p, all) == original.events(project: p, all), "seed \(seed)")
        #expect(replayed.eventCount(project: p) == original.eventCount(project: p))
        for metric in [Metric.count, .uniques] {
            for unit in [UnitKind.user, .anonymous] {
                let q = StatsQuery(metric: metric, groupBy: [.event, .source], unit: unit)
                #expect(try replayed.stats(project: p, q) == original.stats(project: p, q), "seed \(seed) \(q)")
            }
        }
        #expect(replayed.sources(project: p, SourcesQuery()) == original.sources(project: p, SourcesQuery()))
        for u in 0..<generator.userCount {
            let q = UserQuery(userID: "u\(u)", conversionEvent: "cta")
            #expect(replayed.user(project: p, q) == original.user(project: p, q), "seed \(seed) user u\(u)")
        }
        let funnel = FunnelQuery(from: from, to: to, steps: [.init(event: "view"), .init(event: "cta")], breakdown: .firstTouch)
        #expect(try replayed.funnel(project: p, funnel) == original.funnel(project: p, funnel), "seed \(seed)")
        // Every event_id seen before, erased ones included, still counts as a duplicate.
        for case .events(let b, _) in log {
            for id in b.events.compactMap(\.eventID) where !id.isEmpty {
                #expect(replayed.isDuplicate(project: p, eventID: id), "seed \(seed) id \(id)")
            }
        }
    }

    @Test("the seeds above erase something (guards against a vacuous comparison)")
    func seedsEraseSomething() {
        var erasedSeeds = 0
        for seed in PropertyTests.seeds.prefix(30) {
            var generator = DataGenerator(seed: seed)
            if !ErasureTests.replay(generator.log(forgetChance: 0.25), into: EventEngine()).isEmpty { erasedSeeds += 1 }
        }
        #expect(erasedSeeds >= 10, "\(erasedSeeds) seeds erased something")
    }

    @Test func erasedSlotsKeepPositionsAndNothingOfTheUser() {
        let batch = StoredEventBatch(project: "p", events: [
            Event(event: "a", anonymousID: "anon-1", userID: "secret-user", timestamp: 5, eventID: "id-1",
                  url: "https://x.test/?email=secret", properties: ["email": .string("secret@x.test")]),
            Event(event: "b", anonymousID: "anon-2", timestamp: 6),
        ])
        let seq0 = StoredEventBatch.eventSeq(recordSeq: 9, index: 0)
        let out = ErasedSlots.erase(batch, recordSeq: 9, seqs: [seq0], fingerprint: .fixedKey)!
        #expect(out.events.count == 2)
        #expect(out.events[1] == batch.events[1])
        #expect(ErasedSlots.isErased(out.events[0]))
        #expect(!"\(out.events[0])".contains("secret") && !"\(out.events[0])".contains("anon-1") && !"\(out.events[0])".contains("id-1"))
        #expect(ErasedSlots.fingerprint(ofErased: out.events[0]) == EventIDFingerprint.fixedKey("id-1"))
        #expect(ErasedSlots.erase(out, recordSeq: 9, seqs: [seq0], fingerprint: .fixedKey) == nil, "already erased")
        #expect(ErasedSlots.erase(batch, recordSeq: 10, seqs: [seq0], fingerprint: .fixedKey) == nil, "another record's seqs")

        let ids = StoredIdentifyBatch(project: "p", identifies: [Identify(anonymousID: "anon-1", userID: "secret-user", traits: ["plan": .string("pro")])])
        let erasedIDs = ErasedSlots.erase(ids, recordSeq: 3, seqs: [StoredEventBatch.eventSeq(recordSeq: 3, index: 0)])!
        #expect(ErasedSlots.isErased(erasedIDs.identifies[0]) && erasedIDs.identifies[0].traits.isEmpty)
    }

    @Test func eventsAfterAForgetAreANewHistory() throws {
        let engine = EventEngine()
        let p = "p"
        engine.ingest(StoredEventBatch(project: p, events: [Event(event: "old", anonymousID: "a1", timestamp: 10)]), recordSeq: 1)
        engine.ingest(StoredIdentifyBatch(project: p, identifies: [Identify(anonymousID: "a1", userID: "u1", timestamp: 11)]), recordSeq: 2)
        let outcome = engine.forget(StoredForget(project: p, userID: "u1", requestedAt: 0), recordSeq: 3)
        #expect(outcome.hidden == 2, "the event of a1 and the $identify")
        #expect(outcome.erasedSeqs == [StoredEventBatch.eventSeq(recordSeq: 1, index: 0), StoredEventBatch.eventSeq(recordSeq: 2, index: 0)])
        engine.ingest(StoredEventBatch(project: p, events: [Event(event: "new", anonymousID: "a1", userID: "u1", timestamp: 20)]), recordSeq: 4)
        let rows = try engine.events(project: p, EventsQuery(from: 0, to: 100)).rows
        #expect(rows.map(\.event.event) == ["new"])
        let user = engine.user(project: p, UserQuery(userID: "u1"))
        #expect(user.anonymousIDs.isEmpty, "the identify linking a1 is gone")
        #expect(user.firstTouch?.event == "new")
        #expect(engine.forget(StoredForget(project: p, userID: "nobody", requestedAt: 0), recordSeq: 5) == ForgetOutcome(hidden: 0, erasedSeqs: []))
    }
}
