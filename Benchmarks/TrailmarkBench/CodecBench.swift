import TrailmarkWire

/// Codec benchmark (issue: Foundation): bytes per event and encode/decode rates of the
/// Trailmark codec against JSON on the same realistic 1,000-event batch.
enum CodecBench {
    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "codec (placeholder until the batch codec lands)")
        table.add("framing 1 KiB x 100k", value: fmt(try framingRate(), decimals: 0) + " msg/s")
        return table
    }

    private static func framingRate() throws -> Double {
        let body = [UInt8](repeating: 7, count: 1024)
        var stream: [UInt8] = []
        for _ in 0..<100_000 { MessageFraming.frame(body, into: &stream) }
        var deframer = MessageDeframer()
        var n = 0
        let seconds = try measure {
            deframer.append(stream)
            while let _ = try deframer.next() { n += 1 }
        }
        return Double(n) / seconds
    }
}
