import TrailmarkWire

/// Where one stream's encoded batches come from: the first `templateCount` full batches
/// are generated (`EventGenerator`) and kept as `BatchTemplate`s; later full batches are
/// those templates in turn, with fresh ids, times and batch ids. Partial batches (the end
/// of an `--events` run), `--fresh-batches`, and any template that fails its checks are
/// generated from scratch.
///
/// So the traffic keeps the generator's funnels, sessions, sources and identifies (each
/// visitor's identify is sent once, when its batch is generated), every event id stays
/// unique, and the harness's CPU per event falls to a copy and a few patches.
struct BatchSource {
    static let templateCount = 16

    private var templates: [BatchTemplate] = []
    /// False after `--fresh-batches` or a template that failed its checks.
    private var templating: Bool
    private let batchSize: Int

    init(batchSize: Int, templates: Bool) {
        self.batchSize = batchSize
        templating = templates
    }

    /// Generates the templates now, before the run's clock starts, so a stream's first
    /// batches cost a copy and a few patches like the rest: generating 16 batches per
    /// stream at the start took the harness about 140 ms of CPU in the run's first moments,
    /// on the cores the server needs (those acks were the slowest of a 500k events/s run).
    /// The batches' identifies stay in `generator` and go out with the first batches sent.
    mutating func prepare(generator: inout EventGenerator, now: Int64) {
        while templating, templates.count < Self.templateCount {
            let seq = templates.count
            let events = generator.batch(seq: UInt64(seq), count: batchSize, now: now)
            guard let template = BatchTemplate(events: events, seq: seq, time: now, idPrefix: generator.idPrefix(seq: UInt64(seq))),
                  template.bytes(seq: seq, time: now) != nil else {
                // Left to `bytes`, which generates from scratch (ids stay unique: they carry the seq).
                templating = false
                return
            }
            templates.append(template)
        }
    }

    /// Whether `prepare` (or the first batches) made every template.
    var isPrepared: Bool { templates.count == Self.templateCount }

    /// The encoded `EventBatch` for batch `seq` of `count` events, stamped `now`.
    mutating func bytes(seq: Int, count: Int, now: Int64, generator: inout EventGenerator) -> [UInt8] {
        if templating, count == batchSize, templates.count == Self.templateCount,
           let bytes = templates[seq % Self.templateCount].bytes(seq: seq, time: now) {
            return bytes
        }
        let events = generator.batch(seq: UInt64(seq), count: count, now: now)
        if templating, count == batchSize, templates.count < Self.templateCount {
            if let template = BatchTemplate(events: events, seq: seq, time: now, idPrefix: generator.idPrefix(seq: UInt64(seq))),
               let bytes = template.bytes(seq: seq, time: now) {
                templates.append(template)
                return bytes
            }
            templating = false
        }
        return EventBatch(events: events, sentAt: now, batchID: BatchTemplate.batchID(seq: seq)).encoded(capacity: count * 160)
    }
}
