import ArgumentParser
import TrailmarkSDK
import TrailmarkServices
import TrailmarkWire

/// `trailmark track EVENT`: sends one event over `Ingest/Track` and prints its id.
struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "track", abstract: "Send one event.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Event name.") var event: String
    @Option(name: .customLong("anonymous-id"), help: "Anonymous (device) id.") var anonymousID: String?
    @Option(name: .customLong("user-id"), help: "Known user id.") var userID: String?
    @Option(name: .customLong("property"), help: "A property key=value (repeatable; numbers, true/false and null are typed).")
    var properties: [String] = []
    @Option(help: "When it happened (RFC 3339, µs, now, -5m); default: when received.") var timestamp: String?
    @Option(name: .customLong("session-id")) var sessionID: String?
    @Option(name: .customLong("event-id"), help: "Idempotency key (default: a new UUIDv7).") var eventID: String?
    @Option var url: String?
    @Option var path: String?
    @Option var referrer: String?

    func run() async throws {
        try await runClient {
            guard anonymousID != nil || userID != nil else { throw ValidationError("--anonymous-id or --user-id is required") }
            let id = eventID ?? UUIDv7.make()
            let event = Event(event: event, anonymousID: anonymousID ?? "", userID: userID,
                              timestamp: try timestamp.map { try TimeArgument.micros($0, field: "timestamp") },
                              sessionID: sessionID, eventID: id, url: url, path: path, referrer: referrer,
                              properties: try parseProperties(properties, field: "property"))
            let transport = try client.transport()
            let bytes = try await transport.unary(TrailmarkRPC.track.path, EventBatch(events: [event], sentAt: Clock.nowMicros()).encoded(),
                                                  timeout: try client.deadline())
            await transport.close()
            let ack = try BatchAck(decoding: bytes)
            let duplicate = ack.duplicates > 0
            switch client.format {
            case .json:
                printJSON(.object([(key: "ok", value: .bool(true)), (key: "event_id", value: .string(ack.eventIDs.first ?? id)),
                                   (key: "duplicate", value: .bool(duplicate))]))
            case .table, .csv:
                var table = OutputTable(["event_id", "duplicate"])
                table.add([ack.eventIDs.first ?? id, String(duplicate)])
                print(table.render(client.format))
            }
        }
    }
}

/// `trailmark identify --anonymous-id A --user-id U`: links a device to a user (SEMANTICS §1).
struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "identify", abstract: "Link an anonymous id to a user id.")
    @OptionGroup var client: ClientOptions
    @Option(name: .customLong("anonymous-id")) var anonymousID: String
    @Option(name: .customLong("user-id")) var userID: String
    @Option(name: .customLong("trait"), help: "A trait key=value (repeatable).") var traits: [String] = []
    @Option(help: "When (RFC 3339, µs, now); default: when received.") var timestamp: String?

    func run() async throws {
        try await runClient {
            let identify = Identify(anonymousID: anonymousID, userID: userID, traits: try parseProperties(traits, field: "trait"),
                                    timestamp: try timestamp.map { try TimeArgument.micros($0, field: "timestamp") })
            let transport = try client.transport()
            let bytes = try await transport.unary(TrailmarkRPC.identify.path, IdentifyBatch(identifies: [identify], sentAt: Clock.nowMicros()).encoded(),
                                                  timeout: try client.deadline())
            await transport.close()
            let ack = try IdentifyAck(decoding: bytes)
            if client.format == .json {
                printJSON(.object([(key: "ok", value: .bool(true)), (key: "accepted", value: .int(Int64(ack.accepted)))]))
            } else {
                print("ok: \(anonymousID) → \(userID)")
            }
        }
    }
}
