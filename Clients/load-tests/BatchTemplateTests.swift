import Testing
import TrailmarkWire
@testable import trailmark_load

/// `BatchTemplate` and `BatchSource`: resent batches must be exactly the generated batch
/// with new ids, times and batch id, and every event id of a run must stay unique.
@Suite struct BatchTemplateTests {
    static let time: Int64 = 1_780_000_000_000_000  // 2026

    static func template(seq: Int = 3, count: Int = 200) -> (BatchTemplate, [Event], EventGenerator) {
        var generator = EventGenerator(run: "Lrun12345", stream: 2, seed: 9)
        let events = generator.batch(seq: UInt64(seq), count: count, now: time)
        let template = BatchTemplate(events: events, seq: seq, time: time, idPrefix: generator.idPrefix(seq: UInt64(seq)))
        return (template!, events, generator)  // the test fails here if the template is refused
    }

    @Test(arguments: [0, 3, 9, 10, 12_345, 9_999_999_999])
    func anInstanceIsTheBatchWithNewIdsTimesAndBatchID(seq: Int) throws {
        let (template, events, generator) = Self.template()
        let time = Self.time + Int64(seq % 1000) * 1_000_003
        let decoded = try EventBatch(decoding: try #require(template.bytes(seq: seq, time: time)))
        #expect(decoded.sentAt == time)
        #expect(decoded.batchID == BatchTemplate.batchID(seq: seq))
        #expect(decoded.events.count == events.count)
        for (i, e) in events.enumerated() {
            var expected = e
            expected.eventID = generator.idPrefix(seq: UInt64(seq)) + String(i)
            expected.timestamp = time
            #expect(decoded.events[i] == expected, "event \(i)")
            let parsed = try #require(EventGenerator.parse(eventID: decoded.events[i].eventID ?? "", run: "Lrun12345"))
            #expect(parsed.stream == 2 && parsed.batch == seq && parsed.index == i)
        }
    }

    @Test func valuesOutsideTheFixedWidthsAreRefused() {
        let (template, _, _) = Self.template()
        #expect(template.bytes(seq: 10_000_000_000, time: Self.time) == nil)
        #expect(template.bytes(seq: -1, time: Self.time) == nil)
        #expect(template.bytes(seq: 1, time: 1_000) == nil, "a time whose varint is shorter")
    }

    @Test func batchesOfAnotherShapeGetNoTemplate() {
        var generator = EventGenerator(run: "Lrun12345", stream: 2, seed: 9)
        var events = generator.batch(seq: 1, count: 50, now: Self.time)
        let prefix = generator.idPrefix(seq: 1)
        events[7].timestamp = Self.time + 1
        #expect(BatchTemplate(events: events, seq: 1, time: Self.time, idPrefix: prefix) == nil, "mixed timestamps")
        events[7].timestamp = Self.time
        events[8].eventID = "other"
        #expect(BatchTemplate(events: events, seq: 1, time: Self.time, idPrefix: prefix) == nil, "an id of another form")
    }

    /// The first batches are generated as before; later ones repeat them with new ids.
    @Test func aSourceGeneratesThenResendsWithUniqueIDs() throws {
        let count = 100
        var generator = EventGenerator(run: "Lrun12345", stream: 0, seed: 4)
        var reference = EventGenerator(run: "Lrun12345", stream: 0, seed: 4)
        var source = BatchSource(batchSize: count, templates: true)
        var ids = Set<String>()
        var generated: [[Event]] = []  // without ids and times
        func stripped(_ events: [Event]) -> [Event] { events.map { var e = $0; e.eventID = nil; e.timestamp = nil; return e } }
        let batches = BatchSource.templateCount * 2 + 3
        for seq in 0..<batches {
            let now = Self.time + Int64(seq) * 1000
            let decoded = try EventBatch(decoding: source.bytes(seq: seq, count: count, now: now, generator: &generator))
            if seq < BatchSource.templateCount {
                #expect(decoded.events == reference.batch(seq: UInt64(seq), count: count, now: now), "batch \(seq) is generated")
                generated.append(stripped(decoded.events))
            } else {
                #expect(stripped(decoded.events) == generated[seq % BatchSource.templateCount], "batch \(seq) repeats a generated one")
            }
            #expect(decoded.events.allSatisfy { $0.timestamp == now } && decoded.sentAt == now)
            for e in decoded.events { ids.insert(e.eventID ?? "") }
        }
        #expect(ids.count == batches * count, "every event id of the run is unique")
        #expect(generator.takeIdentifies().count == reference.takeIdentifies().count,
                "identifies come only from generated batches")
    }

    /// Templates made before the run (`prepare`): the batches sent are the generated ones,
    /// restamped, with the same unique ids, and their identifies are still there to send.
    @Test func preparedTemplatesSendTheGeneratedBatches() throws {
        let count = 50
        var generator = EventGenerator(run: "Lrun12345", stream: 2, seed: 4)
        var reference = EventGenerator(run: "Lrun12345", stream: 2, seed: 4)
        var source = BatchSource(batchSize: count, templates: true)
        source.prepare(generator: &generator, now: Self.time)
        #expect(source.isPrepared)
        var ids = Set<String>()
        let batches = BatchSource.templateCount + 5
        for seq in 0..<batches {
            let now = Self.time + 1_000_000 + Int64(seq) * 1000
            let decoded = try EventBatch(decoding: source.bytes(seq: seq, count: count, now: now, generator: &generator))
            if seq < BatchSource.templateCount {
                let expected = reference.batch(seq: UInt64(seq), count: count, now: Self.time).map { var e = $0; e.timestamp = now; return e }
                #expect(decoded.events == expected, "batch \(seq) is the prepared one, restamped")
            }
            #expect(decoded.events.allSatisfy { $0.timestamp == now } && decoded.sentAt == now)
            for e in decoded.events { ids.insert(e.eventID ?? "") }
        }
        #expect(ids.count == batches * count, "every event id of the run is unique")
        #expect(generator.takeIdentifies().count == reference.takeIdentifies().count, "the prepared batches' identifies are kept")
    }

    @Test func freshBatchesAreAlwaysGenerated() throws {
        var generator = EventGenerator(run: "Lrun12345", stream: 1, seed: 4)
        var reference = EventGenerator(run: "Lrun12345", stream: 1, seed: 4)
        var source = BatchSource(batchSize: 20, templates: false)
        for seq in 0..<(BatchSource.templateCount + 4) {
            let decoded = try EventBatch(decoding: source.bytes(seq: seq, count: 20, now: Self.time, generator: &generator))
            #expect(decoded.events == reference.batch(seq: UInt64(seq), count: 20, now: Self.time))
        }
    }
}
