import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// Indexing event records from their bytes (`EventEngine.ingest(storedEventBatch:recordSeq:)`)
/// gives exactly the store of indexing the decoded batches (`ingest(_:recordSeq:)`): the
/// same rows, dictionaries, attributions, `event_id` set and duplicate slots, so the same
/// answers. Logs cover duplicates, erased slots, events without attribution, absent and
/// empty optional fields, and non-canonical (transcoded) records.
@Suite("Store: ingest from record bytes")
struct StoredBlockIngestTests {
    /// The generated log with some attributions dropped and some records stored as the
    /// ingest service stores a binary batch (`StoredEventBatch.encoded(reusing:)`).
    /// Returns each record as it will be read back: event records as payload bytes.
    static func log(seed: UInt64) throws -> [(record: GeneratedRecord, payload: [UInt8]?)] {
        var generator = DataGenerator(seed: seed)
        var rng = SeededRandom(seed: seed ^ 0xABCD)
        let original = generator.log(forgetChance: 0.2)
        // Forget compaction: replay once, then erase the forgotten slots.
        let seqs = ErasureTests.replay(original, into: EventEngine())
        let records = rng.chance(0.5) ? ErasureTests.erased(original, seqs: seqs) : original
        return try records.map { record in
            guard case .events(var batch, let s) = record else { return (record, nil) }
            for i in batch.events.indices where rng.chance(0.2) { batch.events[i].attribution = nil }
            let payload = try transcoded(batch, &rng) ?? batch.encoded()
            // What replay decodes (a transcoded record holds the same events).
            return (.events(try StoredEventBatch(decoding: payload, limits: .logRecords), s), payload)
        }
    }

    /// `batch` stored through a client block (the server's event ids appended as new
    /// entries) when it has no erased slot; nil otherwise or by chance.
    static func transcoded(_ batch: StoredEventBatch, _ rng: inout SeededRandom) throws -> [UInt8]? {
        guard rng.chance(0.6), !batch.events.contains(where: ErasedSlots.isErased) else { return nil }
        let client = batch.events.map { e in
            var c = e
            c.receivedAt = nil
            c.attribution = nil
            c.seq = nil
            c.eventID = nil  // the server's ids are appended as new entries
            return c
        }
        let (_, block) = try EventBatch.decodingKeepingBlock(EventBatch(events: client).encoded())
        return block.flatMap { batch.encoded(reusing: $0) }
    }

    /// Everything a store holds, as values (ids resolved to strings).
    static func contents(_ engine: EventEngine) -> [String] {
        let snap = engine.snapshot(DataGenerator.project)
        var lines = ["rows \(snap.rowCount) deleted \(snap.deleted.rowCount)"]
        for row in 0 ..< snap.rowCount {
            let user = snap.user[row] == StringDictionary.none ? "-" : snap.users[Int(snap.user[row])]
            let session = snap.session[row] == StringDictionary.none ? "-" : snap.sessions[Int(snap.session[row])]
            lines.append("\(snap.timestamp[row]) \(snap.seq[row]) \(snap.name[row]):\(snap.names[Int(snap.name[row])]) \(snap.anon[row]):\(snap.anons[Int(snap.anon[row])]) \(snap.user[row]):\(user) \(snap.session[row]):\(session) \(snap.attribution[row]):\(snap.attributions[Int(snap.attribution[row])])")
        }
        lines.append("dictionaries \(snap.names.count) \(snap.anons.count) \(snap.users.count) \(snap.sessions.count) \(snap.attributions.count)")
        let s = engine.store(DataGenerator.project)
        s.ids.withLock { st in
            lines.append("event ids \(st.eventIDs.count)")
            lines.append("duplicate slots \(st.duplicateSlots.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" })")
        }
        return lines
    }

    @Test("bytes and decoded batches build the same store and answers", arguments: Array(PropertyTests.seeds.prefix(40)))
    func sameStore(seed: UInt64) throws {
        let log = try Self.log(seed: seed)
        let encoded = PropertyColumnTests.EncodedLog()
        let decodedEngine = EventEngine(fetcher: { _, seq in encoded.fetch(seq: seq) })
        let bytesEngine = EventEngine(fetcher: { _, seq in encoded.fetch(seq: seq) })
        for (record, payload) in log {
            switch record {
            case .events(let b, let s):
                encoded.append(record)
                let old = decodedEngine.ingest(b, recordSeq: s)
                let new = try payload!.withUnsafeBytes { try bytesEngine.ingest(storedEventBatch: $0, recordSeq: s) }  // `!`: every event record has its payload
                #expect(old == new, "seed \(seed) record \(s)")
            case .identifies(let b, let s):
                encoded.append(record)
                decodedEngine.ingest(b, recordSeq: s)
                bytesEngine.ingest(b, recordSeq: s)
            case .forget(let f, let s):
                #expect(decodedEngine.forget(f, recordSeq: s) == bytesEngine.forget(f, recordSeq: s), "seed \(seed)")
            }
        }
        #expect(Self.contents(bytesEngine) == Self.contents(decodedEngine), "seed \(seed)")

        let p = DataGenerator.project
        let from = DataGenerator.base - 1_000 * DataGenerator.minute, to = DataGenerator.base + 30_000 * DataGenerator.minute
        var all = EventsQuery(from: from, to: to)
        all.limit = 10_000
        #expect(try bytesEngine.events(project: p, all) == decodedEngine.events(project: p, all), "seed \(seed)")
        let stats = StatsQuery(metric: .uniques, groupBy: [.event, .source], unit: .user)
        #expect(try bytesEngine.stats(project: p, stats) == decodedEngine.stats(project: p, stats), "seed \(seed)")
        #expect(bytesEngine.sources(project: p, SourcesQuery()) == decodedEngine.sources(project: p, SourcesQuery()))
        let funnel = FunnelQuery(from: from, to: to, steps: [.init(event: "view"), .init(event: "cta")], breakdown: .firstTouch)
        #expect(try bytesEngine.funnel(project: p, funnel) == decodedEngine.funnel(project: p, funnel), "seed \(seed)")
        for case .events(let b, _) in log.map(\.record) {
            for id in b.events.compactMap(\.eventID) where !id.isEmpty {
                #expect(bytesEngine.isDuplicate(project: p, eventID: id) == decodedEngine.isDuplicate(project: p, eventID: id))
            }
        }
    }

    @Test("the seeds cover erased slots, duplicates, missing attributions and transcoded records")
    func seedsCoverTheCases() throws {
        var erased = 0, missing = 0, transcoded = 0, duplicates = 0
        for seed in PropertyTests.seeds.prefix(40) {
            let engine = EventEngine(fetcher: { _, _ in nil })
            for case let (.events(b, s), payload?) in try Self.log(seed: seed) {
                erased += b.events.filter(ErasedSlots.isErased).count
                missing += b.events.filter { $0.attribution == nil && !ErasedSlots.isErased($0) }.count
                if payload != b.encoded() { transcoded += 1 }
                duplicates += try payload.withUnsafeBytes { try engine.ingest(storedEventBatch: $0, recordSeq: s) }.duplicates
            }
        }
        #expect(erased > 0 && missing > 0 && transcoded > 0 && duplicates > 0, "\(erased) \(missing) \(transcoded) \(duplicates)")
    }

    @Test("a store without a fetcher keeps the large fields when fed bytes")
    func withoutFetcher() throws {
        let batch = StoredEventBatch(project: "p", events: [
            Event(event: "view", anonymousID: "a", eventID: "id-1", url: "https://x.example/?utm_source=news", properties: Properties([Property("k", .int(3))])),
        ])
        let engine = EventEngine()
        let counts = try batch.encoded().withUnsafeBytes { try engine.ingest(storedEventBatch: $0, recordSeq: 7) }
        #expect(counts.accepted == 1)
        let page = try engine.events(project: "p", EventsQuery(from: 0, to: .max))
        #expect(page.rows.first?.event.properties == batch.events[0].properties)
        #expect(page.rows.first?.event.url == batch.events[0].url)
    }

    @Test("corrupt and truncated payloads are errors and change nothing")
    func corrupt() throws {
        let batch = StoredEventBatch(project: "p", events: (0 ..< 20).map { Event(event: "e\($0 % 3)", anonymousID: "a\($0)", eventID: "id-\($0)") })
        let payload = batch.encoded()
        let engine = EventEngine(fetcher: { _, _ in nil })
        var failures = 0
        for length in 0 ..< payload.count {
            let prefix = Array(payload.prefix(length))
            do {
                _ = try prefix.withUnsafeBytes { try engine.ingest(storedEventBatch: $0, recordSeq: 1) }
            } catch {
                failures += 1
            }
        }
        #expect(failures > payload.count / 2)
        #expect(engine.eventCount(project: "p") == 0)
        #expect(!engine.isDuplicate(project: "p", eventID: "id-0"))
    }

    @Test("an id's fingerprint over its bytes equals the string's")
    func fingerprintOfBytes() {
        for id in ["", "a", "0190f3b2-7c1e-7000-8000-1", "日本🙂", String(repeating: "x", count: 200)] {
            var copy = id
            let bytes = copy.withUTF8 { EventIDFingerprint.fixedKey(utf8: $0) }
            #expect(bytes == EventIDFingerprint.fixedKey(id))
            let keyed = EventIDFingerprint(key: SipHash(k0: 1, k1: 2))
            #expect(copy.withUTF8 { keyed(utf8: $0) } == keyed(id))
        }
    }
}
