/// A printed table of benchmark results: each row a measurement, its anchor measured in
/// the same run, their ratio and the goal the issue names.
struct BenchTable {
    struct Row {
        var name: String
        var value: String
        var anchor: String
        var ratio: String
        var goal: String
    }

    let title: String
    private(set) var rows: [Row] = []

    init(title: String) { self.title = title }

    mutating func add(_ name: String, value: String, anchor: String = "", ratio: String = "", goal: String = "") {
        rows.append(Row(name: name, value: value, anchor: anchor, ratio: ratio, goal: goal))
    }

    func render() -> String {
        let header = Row(name: "measurement", value: "value", anchor: "anchor (same run)", ratio: "ratio", goal: "goal")
        let all = [header] + rows
        func width(_ key: KeyPath<Row, String>) -> Int { all.map { $0[keyPath: key].count }.max() ?? 0 }
        let widths = [width(\.name), width(\.value), width(\.anchor), width(\.ratio), width(\.goal)]
        func line(_ r: Row) -> String {
            let cells = [r.name, r.value, r.anchor, r.ratio, r.goal]
            return "| " + zip(cells, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
        return (["\n## \(title)", line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// Formats a number with two decimals, or an integer with thousands separators.
func fmt(_ value: Double, decimals: Int = 2) -> String {
    if decimals == 0 {
        let n = Int(value.rounded())
        let s = String(abs(n))
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let r = (value * p).rounded() / p
    return "\(r)"
}

/// Times `body` with the monotonic clock, returning seconds.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
