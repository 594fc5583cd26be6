import ArgumentParser
import TrailmarkSDK
import TrailmarkServices
import TrailmarkWire

/// The `[from, to)` options of the read verbs.
struct RangeOptions: ParsableArguments {
    @Option(help: "Start (RFC 3339, µs, now, or -7d relative to now).") var from: String = "-30d"
    @Option(help: "End, exclusive (same forms).") var to: String = "+1d"

    func range() throws -> (Int64, Int64) {
        let now = Clock.nowMicros()
        return (try TimeArgument.micros(from, field: "from", now: now), try TimeArgument.micros(to, field: "to", now: now))
    }
}

/// `trailmark query`: raw events (`Query/EventsStream`).
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "List events.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var range: RangeOptions
    @Option var event: String?
    @Option var source: String?
    @Option var medium: String?
    @Option(name: .customLong("user-id"), help: "Stitched user (SEMANTICS §3).") var userID: String?
    @Option(name: .customLong("anonymous-id")) var anonymousID: String?
    @Option(help: "Rows at most (1...10000).") var limit: UInt32 = 100
    @Option(help: "asc or desc.") var order: String = "asc"

    func run() async throws {
        try await runClient {
            guard order == "asc" || order == "desc" else { throw ValidationError("--order must be asc or desc") }
            let (from, to) = try range.range()
            let query = try client.queryClient()
            let q = EventsQuery(from: from, to: to, event: event, source: source, medium: medium, userID: userID,
                                anonymousID: anonymousID, limit: limit, order: order == "asc" ? .ascending : .descending)
            var rows: [EventRow] = []
            for try await row in query.events(q) { rows.append(row) }
            await query.close()
            if client.format == .json {
                printJSON(JSONResponses.events(EventsPage(rows: rows), project: ""))
                return
            }
            var table = OutputTable(["timestamp", "event", "user", "anonymous_id", "source", "medium", "event_id"])
            for row in rows {
                let e = row.event
                table.add([e.timestamp.map(TimeFormat.rfc3339) ?? "-", e.event, cell(row.user), e.anonymousID,
                           cell(e.attribution?.source), cell(e.attribution?.medium), cell(e.eventID)])
            }
            print(table.render(client.format))
        }
    }
}

/// `trailmark stats`: counts and uniques (`Query/Stats`).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Count events or unique units.")
    @OptionGroup var client: ClientOptions
    @Option(help: "count or uniques.") var metric: String = "count"
    @Option(help: "Start (default: all time).") var from: String?
    @Option(help: "End (default: all time).") var to: String?
    @Option(help: "Event name (repeatable).") var event: [String] = []
    @Option(name: .customLong("group-by"), help: "Comma list of event, source, medium, campaign.") var groupBy: String?
    @Option(help: "hour, day or week.") var interval: String?
    @Option(help: "user or anonymous.") var unit: String = "user"

    func run() async throws {
        try await runClient {
            guard let metric = Metric.allCases.first(where: { $0.name == metric }) else { throw ValidationError("--metric must be count or uniques") }
            let groups = try (groupBy?.split(separator: ",") ?? []).map { name in
                guard let field = GroupField.allCases.first(where: { $0.name == name }) else { throw ValidationError("--group-by: unknown field \(name)") }
                return field
            }
            let bucket = try interval.map { name in
                guard let value = Interval.allCases.first(where: { $0.name == name }) else { throw ValidationError("--interval must be hour, day or week") }
                return value
            }
            guard let unitKind = UnitKind.allCases.first(where: { $0.name == unit }) else { throw ValidationError("--unit must be user or anonymous") }
            let now = Clock.nowMicros()
            let q = StatsQuery(metric: metric, from: try from.map { try TimeArgument.micros($0, field: "from", now: now) },
                               to: try to.map { try TimeArgument.micros($0, field: "to", now: now) },
                               events: event, groupBy: groups, interval: bucket, unit: unitKind)
            let query = try client.queryClient()
            let result = try await query.stats(q)
            await query.close()
            if client.format == .json { return printJSON(JSONResponses.stats(result)) }
            var table = OutputTable((bucket == nil ? [] : ["bucket"]) + groups.map(\.name) + [metric.name])
            for row in result.rows {
                table.add((bucket == nil ? [] : [row.bucket.map(TimeFormat.rfc3339) ?? "-"]) + row.groups.map(cell) + [String(row.value)])
            }
            print(table.render(client.format))
        }
    }
}

/// `trailmark sources`: events and uniques per source / medium / campaign.
struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sources", abstract: "Traffic by source, medium and campaign.")
    @OptionGroup var client: ClientOptions
    @Option(help: "Start (default: all time).") var from: String?
    @Option(help: "End (default: all time).") var to: String?

    func run() async throws {
        try await runClient {
            let now = Clock.nowMicros()
            let q = SourcesQuery(from: try from.map { try TimeArgument.micros($0, field: "from", now: now) },
                                 to: try to.map { try TimeArgument.micros($0, field: "to", now: now) })
            let query = try client.queryClient()
            let result = try await query.sources(q)
            await query.close()
            if client.format == .json { return printJSON(JSONResponses.sources(result)) }
            var table = OutputTable(["source", "medium", "campaign", "events", "uniques"])
            for row in result.rows { table.add([row.source, row.medium, cell(row.campaign), String(row.events), String(row.uniques)]) }
            print(table.render(client.format))
        }
    }
}

/// `trailmark user USER_ID`: anonymous ids, first touch, pre-login events, time to conversion.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "What is known about one user.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "User id.") var userID: String
    @Option(name: .customLong("conversion-event"), help: "Report the time from first touch to this event.") var conversionEvent: String?

    func run() async throws {
        try await runClient {
            let query = try client.queryClient()
            let result = try await query.user(UserQuery(userID: userID, conversionEvent: conversionEvent))
            await query.close()
            if client.format == .json { return printJSON(JSONResponses.user(result, project: "")) }
            var table = OutputTable(["field", "value"])
            table.add(["user_id", result.userID])
            table.add(["anonymous_ids", result.anonymousIDs.joined(separator: " ")])
            if let touch = result.firstTouch {
                table.add(["first_touch", "\(touch.event) at \(TimeFormat.rfc3339(touch.timestamp)) from \(touch.source)/\(touch.medium)\(touch.campaign.map { " (\($0))" } ?? "")"])
            }
            table.add(["prelogin_events", String(result.prelogin.count)])
            if let conversionEvent {
                table.add(["time_to_\(conversionEvent)", result.timeToConversion.map { DurationText.format(micros: Double($0)) } ?? "-"])
            }
            print(table.render(client.format))
        }
    }
}
