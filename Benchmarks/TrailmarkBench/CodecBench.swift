import Foundation
import TrailmarkWire

/// Codec benchmark (issue: Foundation): bytes per event and encode/decode rates of the
/// Trailmark codec against JSON on the same realistic 1,000-event batch. Goals: ≥3x smaller
/// and ≥10x faster to decode than JSON. JSON decoders are timed to the same `[Event]` result.
enum CodecBench {
    static func run() async throws -> BenchTable {
        let events = CodecBenchData.batch(count: 1_000, seed: 7)
        let batch = EventBatch(events: events, sentAt: 1_767_225_600_000_000)
        let n = Double(events.count)

        let wire = batch.encoded()
        guard try EventBatch(decoding: wire) == batch else { throw BenchFailure("Trailmark round trip differs") }
        let jsonBatch = JSONBatch(batch)
        let encoder = JSONEncoder()
        let jsonData = try encoder.encode(jsonBatch)
        let serialized = try JSONSerialization.data(withJSONObject: jsonBatch.object)
        guard try JSONDecoder().decode(JSONBatch.self, from: jsonData).events.map(\.model) == events,
              try JSONBatch.events(fromSerialized: serialized) == events
        else { throw BenchFailure("JSON round trip differs") }

        let wireEncode = try rate(n) { _ = batch.encoded(capacity: wire.count) }
        let wireDecode = try rate(n) { _ = try EventBatch(decoding: wire) }
        let coderEncode = try rate(n) { _ = try encoder.encode(jsonBatch) }
        let coderDecode = try rate(n) { _ = try JSONDecoder().decode(JSONBatch.self, from: jsonData).events.map(\.model) }
        let serialEncode = try rate(n) { _ = try JSONSerialization.data(withJSONObject: JSONBatch(batch).object) }
        let serialDecode = try rate(n) { _ = try JSONBatch.events(fromSerialized: serialized) }

        var t = BenchTable(title: "codec: realistic 1,000-event batch (Trailmark vs JSON, same events)")
        let wireBytes = Double(wire.count) / n
        t.add("bytes/event Trailmark", value: fmt(wireBytes, decimals: 1), anchor: "JSONEncoder \(fmt(Double(jsonData.count) / n, decimals: 1))",
              ratio: fmt(Double(jsonData.count) / Double(wire.count)) + "x smaller", goal: ">= 3x")
        t.add("bytes/event Trailmark", value: fmt(wireBytes, decimals: 1), anchor: "JSONSerialization \(fmt(Double(serialized.count) / n, decimals: 1))",
              ratio: fmt(Double(serialized.count) / Double(wire.count)) + "x smaller", goal: ">= 3x")
        t.add("decode events/s Trailmark", value: fmt(wireDecode, decimals: 0), anchor: "JSONDecoder \(fmt(coderDecode, decimals: 0))",
              ratio: fmt(wireDecode / coderDecode) + "x", goal: ">= 10x")
        t.add("decode events/s Trailmark", value: fmt(wireDecode, decimals: 0), anchor: "JSONSerialization \(fmt(serialDecode, decimals: 0))",
              ratio: fmt(wireDecode / serialDecode) + "x", goal: ">= 10x")
        t.add("encode events/s Trailmark", value: fmt(wireEncode, decimals: 0), anchor: "JSONEncoder \(fmt(coderEncode, decimals: 0))",
              ratio: fmt(wireEncode / coderEncode) + "x")
        t.add("encode events/s Trailmark", value: fmt(wireEncode, decimals: 0), anchor: "JSONSerialization \(fmt(serialEncode, decimals: 0))",
              ratio: fmt(wireEncode / serialEncode) + "x")
        return t
    }

    /// Items per second of `body` (which handles `items` items): the best of 5 rounds of
    /// at least 0.2 s each, so a noisy neighbour on the shared cores skews it least.
    private static func rate(_ items: Double, _ body: () throws -> Void) throws -> Double {
        try body()  // warm-up
        var best = 0.0
        for _ in 0 ..< 5 {
            var iterations = 0
            var elapsed = 0.0
            while elapsed < 0.2 {
                elapsed += try measure {
                    for _ in 0 ..< 10 { try body() }
                }
                iterations += 10
            }
            best = max(best, Double(iterations) * items / elapsed)
        }
        return best
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
