import ArgumentParser
import Foundation
import TrailmarkSDK
import TrailmarkServices
import TrailmarkWire

/// `trailmark funnel`: a funnel (SEMANTICS §4, §5) from the API.md `/v1/funnel` JSON
/// (`--json FILE`, `-` for stdin) or from flags, drawn as a terminal bar chart.
/// Flags are turned into that same JSON and decoded by the server's own `FunnelRequest`,
/// so both forms accept and refuse exactly what `POST /v1/funnel` does.
struct FunnelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "funnel", abstract: "Funnel conversion as a bar chart.")
    @OptionGroup var client: ClientOptions
    @Option(help: "The JSON body of POST /v1/funnel (file, or - for stdin); other funnel flags are then ignored.") var json: String?
    @OptionGroup var range: RangeOptions
    @Option(help: "A step: EVENT or EVENT:key=value,key=value (repeatable, in order).") var step: [String] = []
    @Option(help: "Calculation window after step 1 (7d, 30m).") var window: String?
    @Option(help: "Per-step windows, comma list with one entry per step (empty = none): ,30m,1d.") var windows: String?
    @Flag(help: "A step must come strictly after the previous one.") var strict = false
    @Option(help: "Allowed earlier time of a step (duration).") var allowance: String?
    @Option(help: "units or sessions.") var count: String?
    @Option(help: "user or anonymous.") var unit: String?
    @Option(help: "first_touch or property:NAME.") var breakdown: String?
    @Option(help: "Experiment name (SEMANTICS §5).") var experiment: String?
    @Option(help: "Control group of --experiment.") var control: String?
    @Flag(name: .customLong("exposure-as-first-step"), help: "The exposure is step 1.") var exposureAsFirstStep = false
    @Option(help: "Bar width in characters.") var width = 40

    func run() async throws {
        try await runClient {
            let body: [UInt8]
            if let json {
                let data = json == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: json)
                guard let data else { throw ValidationError("--json: cannot read \(json)") }
                body = Array(data)
            } else {
                body = JSONWriter.bytes(try requestJSON())
            }
            let funnel: FunnelQuery
            do { funnel = try FunnelRequest.decode(body) } catch { throw ValidationError("\(error)") }
            let query = try client.queryClient()
            let result = try await query.funnel(funnel)
            await query.close()
            switch client.format {
            case .json: printJSON(JSONResponses.funnel(result))
            case .csv: print(FunnelChart.table(result).render(.csv))
            case .table: print(FunnelChart(result: result, query: funnel, width: max(10, min(width, 200))).render())
            }
        }
    }

    /// The flags as the API.md funnel JSON.
    func requestJSON() throws -> JSONValue {
        guard step.count >= 1 else { throw ValidationError("give --json FILE or at least two --step") }
        let (from, to) = try range.range()
        var object: [(key: String, value: JSONValue)] = [
            (key: "from", value: .int(from)), (key: "to", value: .int(to)),
            (key: "steps", value: .array(try step.map(Self.stepJSON))),
        ]
        if let window { object.append((key: "window", value: .string(window))) }
        if let windows {
            object.append((key: "windows", value: .array(windows.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.isEmpty ? .null : .string(String($0))
            })))
        }
        if strict { object.append((key: "strict", value: .bool(true))) }
        if let allowance { object.append((key: "allowance", value: .string(allowance))) }
        if let count { object.append((key: "count", value: .string(count))) }
        if let unit { object.append((key: "unit", value: .string(unit))) }
        if let breakdown { object.append((key: "breakdown", value: .string(breakdown))) }
        if let experiment {
            var e: [(key: String, value: JSONValue)] = [(key: "name", value: .string(experiment))]
            if let control { e.append((key: "control", value: .string(control))) }
            if exposureAsFirstStep { e.append((key: "exposure_as_first_step", value: .bool(true))) }
            object.append((key: "experiment", value: .object(e)))
        }
        return .object(object)
    }

    /// `purchase:plan=pro,qty=2` → `{"event": "purchase", "where": {"plan": "pro", "qty": 2}}`.
    static func stepJSON(_ text: String) throws -> JSONValue {
        guard let colon = text.firstIndex(of: ":") else { return .object([(key: "event", value: .string(text))]) }
        let filters = try parseProperties(text[text.index(after: colon)...].split(separator: ",").map(String.init), field: "step")
        return .object([
            (key: "event", value: .string(String(text[..<colon]))),
            (key: "where", value: JSONResponses.properties(filters)),
        ])
    }
}
