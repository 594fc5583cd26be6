import Foundation
import TrailmarkSDK
import TrailmarkServices
import TrailmarkWire

/// Draws a `FunnelResult` for a terminal: per group, one bar per step scaled to step 1,
/// with `reached`, overall and stepwise conversion, then the time to complete; for an
/// experiment, each group's difference to control with its 95% interval and p-value.
struct FunnelChart {
    let result: FunnelResult
    let query: FunnelQuery
    let width: Int

    func render() -> String {
        var out: [String] = []
        out.append("funnel \(TimeFormat.rfc3339(query.from)) → \(TimeFormat.rfc3339(query.to))")
        for group in result.groups {
            out.append("")
            out.append(Self.title(group))
            let first = max(group.steps.first?.reached ?? 0, 1)
            let nameWidth = group.steps.map(\.event.count).max() ?? 4
            for (i, step) in group.steps.enumerated() {
                let filled = Int((Double(step.reached) / Double(first) * Double(width)).rounded())
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: max(0, width - filled))
                var line = String(format: "%2d ", i + 1) + step.event.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                line += "  \(bar)  \(String(step.reached).leftPad(8))  \(cell(step.overall, percent: true).leftPad(6))"
                if i > 0 { line += "  (step \(cell(step.conversion, percent: true)))" }
                out.append(line)
            }
            let t = group.timeToComplete
            if t.n > 0 {
                out.append("   completed by \(t.n): mean \(Self.time(t.mean)), median \(Self.time(t.median)), p90 \(Self.time(t.p90))")
            } else {
                out.append("   nobody completed the funnel")
            }
        }
        for comparison in result.comparisons {
            out.append("")
            out.append("vs control — group \(comparison.group ?? "null"):")
            for (i, step) in comparison.steps.enumerated() {
                let c = step.overall
                out.append("   step \(i + 1): diff \(Self.signed(c.diff)) [\(Self.signed(c.ciLow)), \(Self.signed(c.ciHigh))], lift \(Self.signed(c.lift)), p \(c.pValue.map { String(format: "%.4f", $0) } ?? "-")")
            }
        }
        return out.joined(separator: "\n")
    }

    static func title(_ group: FunnelResult.Group) -> String {
        switch group.key {
        case .all: "all units"
        case .property(let value): "group \(JSONWriter.string(JSONResponses.property(value)))"
        case .firstTouch(let source, let medium): "first touch \(source) / \(medium)"
        case .experimentGroup(let name): "experiment group \(name ?? "null")\(group.exposed.map { " (\($0) exposed)" } ?? "")"
        }
    }

    static func time(_ micros: Double?) -> String { micros.map { DurationText.format(micros: $0) } ?? "-" }

    static func signed(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%+.2f%%", value * 100)
    }

    /// One row per group and step (CSV output).
    static func table(_ result: FunnelResult) -> OutputTable {
        var table = OutputTable(["group", "step", "event", "reached", "conversion", "overall"])
        for group in result.groups {
            for (i, step) in group.steps.enumerated() {
                table.add([title(group), String(i + 1), step.event, String(step.reached),
                           step.conversion.map { String($0) } ?? "", step.overall.map { String($0) } ?? ""])
            }
        }
        return table
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
