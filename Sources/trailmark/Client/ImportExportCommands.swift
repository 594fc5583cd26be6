import ArgumentParser
import Foundation
import TrailmarkSDK
import TrailmarkServices
import TrailmarkTransport
import TrailmarkWire

/// `trailmark import FILE.jsonl`: one event (the `/v1/track` JSON) or identify (the
/// `/v1/identify` JSON, recognised by `"type": "identify"` or by having no `event`) per
/// line, sent in batches over the binary RPC with retries, and a progress bar on stderr.
/// Events without an `event_id` get a UUIDv7 before the first attempt, so a retried or
/// re-run import never stores an event twice. Lines are validated by the server's own JSON
/// decoders; a bad line stops the import and names its line number.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import events and identifies from JSON Lines.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "A .jsonl file, or - for stdin.") var file: String
    @Option(help: "Events per batch.") var batch = 1000

    func run() async throws {
        try await runClient {
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1...10000") }
            let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file)
            guard let handle else { throw ValidationError("cannot open \(file)") }
            let total = file == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            let transport = try client.transport()
            let timeout = try client.deadline()
            var events: [Event] = []
            var identifies: [Identify] = []
            var stats = (events: 0, duplicates: 0, identifies: 0, bytes: 0)
            var lineNumber = 0
            let progress = ProgressBar(total: total)
            for line in LineReader(handle: handle) {
                lineNumber += 1
                stats.bytes += line.count + 1
                guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") }) else { continue }
                do {
                    if try Self.isIdentify(line) {
                        identifies.append(contentsOf: try JSONRequests.identify(line).identifies)
                    } else {
                        var event = try JSONRequests.track(line).events[0]
                        if event.eventID == nil { event.eventID = UUIDv7.make() }
                        events.append(event)
                    }
                } catch {
                    throw ValidationError("\(file):\(lineNumber): \(error)")
                }
                if events.count >= batch {
                    let ack = try await Self.sendEvents(events, transport: transport, timeout: timeout)
                    stats.events += Int(ack.accepted)
                    stats.duplicates += Int(ack.duplicates)
                    events.removeAll(keepingCapacity: true)
                    progress.update(bytes: stats.bytes, events: stats.events + stats.duplicates)
                }
                if identifies.count >= batch {
                    stats.identifies += try await Self.sendIdentifies(identifies, transport: transport, timeout: timeout)
                    identifies.removeAll(keepingCapacity: true)
                }
            }
            if !events.isEmpty {
                let ack = try await Self.sendEvents(events, transport: transport, timeout: timeout)
                stats.events += Int(ack.accepted)
                stats.duplicates += Int(ack.duplicates)
            }
            if !identifies.isEmpty { stats.identifies += try await Self.sendIdentifies(identifies, transport: transport, timeout: timeout) }
            progress.update(bytes: stats.bytes, events: stats.events + stats.duplicates)
            progress.finish()
            await transport.close()
            if client.format == .json {
                printJSON(.object([(key: "events", value: .int(Int64(stats.events))), (key: "duplicates", value: .int(Int64(stats.duplicates))),
                                   (key: "identifies", value: .int(Int64(stats.identifies)))]))
            } else {
                print("imported \(stats.events) events (\(stats.duplicates) already stored), \(stats.identifies) identifies")
            }
        }
    }

    /// `"type": "identify"`, or an object without `event`.
    static func isIdentify(_ line: [UInt8]) throws(APIError) -> Bool {
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch { throw APIError(.invalidJSON, "\(error)") }
        guard case .object(let fields) = value else { return false }
        if let type = fields.first(where: { $0.key == "type" })?.value { return type == .string("identify") }
        return !fields.contains { $0.key == "event" }
    }

    static func sendEvents(_ events: [Event], transport: TransportClient, timeout: Duration) async throws -> BatchAck {
        try await withRetries {
            try BatchAck(decoding: try await transport.unary(TrailmarkRPC.track.path,
                                                             EventBatch(events: events, sentAt: Clock.nowMicros()).encoded(capacity: events.count * 128),
                                                             timeout: timeout))
        }
    }

    static func sendIdentifies(_ identifies: [Identify], transport: TransportClient, timeout: Duration) async throws -> Int {
        let ack = try await withRetries {
            try IdentifyAck(decoding: try await transport.unary(TrailmarkRPC.identify.path,
                                                                IdentifyBatch(identifies: identifies, sentAt: Clock.nowMicros()).encoded(),
                                                                timeout: timeout))
        }
        return Int(ack.accepted)
    }

    /// Retries retryable failures (backoff with full jitter, server hint honoured), 8 times at most.
    static func withRetries<T>(_ body: () async throws -> T) async throws -> T {
        let policy = RetryPolicy(base: .milliseconds(200), cap: .seconds(10))
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                let failure = TrailmarkError(wrapping: error)
                guard failure.isRetryable, attempt < 8 else { throw failure }
                try await Task.sleep(for: policy.delay(attempt: attempt, after: failure, using: &generator))
                attempt += 1
            }
        }
    }
}

/// `trailmark export`: every event of a range as JSON Lines (the `/v1/query` row shape,
/// which `trailmark import` reads back; event ids keep a re-import idempotent).
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export events as JSON Lines.")
    @OptionGroup var client: ClientOptions
    @OptionGroup var range: RangeOptions
    @Option var event: String?
    @Option(name: .customLong("user-id")) var userID: String?
    @Option(help: "Write to this file instead of stdout.") var output: String?

    func run() async throws {
        try await runClient {
            let (from, to) = try range.range()
            let query = try client.queryClient()
            let sink: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
                    throw ValidationError("--output: cannot write \(output)")
                }
                sink = handle
            } else {
                sink = FileHandle.standardOutput
            }
            var buffer: [UInt8] = []
            var rows = 0
            for try await row in query.allEvents(EventsQuery(from: from, to: to, event: event, userID: userID)) {
                JSONWriter.write(Self.line(row), into: &buffer)
                buffer.append(UInt8(ascii: "\n"))
                rows += 1
                if buffer.count > 1 << 20 {
                    sink.write(Data(buffer))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            sink.write(Data(buffer))
            await query.close()
            if output != nil { FileHandle.standardError.write(Data("exported \(rows) events\n".utf8)) }
        }
    }

    /// One export line: the client columns of an event (the server computes the rest again
    /// on import), or, for the `$identify` event an identify appends (SEMANTICS §1), the
    /// identify itself, so a re-import links the ids instead of storing a `$identify` event.
    static func line(_ row: EventRow) -> JSONValue {
        let e = row.event
        if e.event == "$identify", let userID = e.userID {
            return .object([
                (key: "type", value: .string("identify")), (key: "anonymous_id", value: .string(e.anonymousID)),
                (key: "user_id", value: .string(userID)), (key: "traits", value: JSONResponses.properties(e.properties)),
                (key: "timestamp", value: e.timestamp.map { .int($0) } ?? .null),
            ])
        }
        guard case .object(let fields) = JSONResponses.row(row, project: "") else { return .null }
        return .object(fields.filter { exported.contains($0.key) })
    }

    /// The columns a client sent (the server computes the rest again on import).
    static let exported: Set<String> = ["event", "anonymous_id", "user_id", "timestamp", "session_id", "event_id", "url", "path", "referrer", "properties"]
}
