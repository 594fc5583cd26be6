import Foundation
import TrailmarkServices

/// Rows to print as an aligned text table or CSV (RFC 4180 quoting); JSON output uses the
/// API.md shapes instead (`JSONResponses`).
struct OutputTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .csv:
            return ([headers] + rows).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n")
        case .table, .json:
            var widths = headers.map(\.count)
            for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, cell in cell.padding(toLength: widths[min(i, widths.count - 1)], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }
            var out = [line(headers), line(widths.map { String(repeating: "-", count: $0) })]
            out += rows.map(line)
            return out.joined(separator: "\n")
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Prints `value` as one line of JSON.
func printJSON(_ value: JSONValue) {
    print(JSONWriter.string(value))
}

/// Optional text for table cells.
func cell(_ text: String?) -> String { text ?? "-" }
func cell(_ value: Double?, percent: Bool = false) -> String {
    guard let value else { return "-" }
    return percent ? String(format: "%.1f%%", value * 100) : String(format: "%.4g", value)
}
