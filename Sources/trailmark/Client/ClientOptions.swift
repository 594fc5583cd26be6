import ArgumentParser
import Foundation
import TrailmarkSDK
import TrailmarkServices
import TrailmarkTransport
import TrailmarkWire

/// Output of the client verbs: an aligned text table, the API.md JSON, or CSV.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// The connection options every client verb shares (`--host`, `--key` or
/// `TRAILMARK_HOST` / `TRAILMARK_KEY`, TLS and output format).
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL: https://host:port, or http://host:port for a --plaintext server. Env TRAILMARK_HOST.")
    var host: String = environment("HOST") ?? "https://127.0.0.1:8443"
    @Option(help: "API key (sk_…, or rk_… for reads). Env TRAILMARK_KEY.")
    var key: String?
    @Flag(help: "Do not verify the server's TLS certificate (development certificates).")
    var insecure = false
    @Option(help: "PEM file of the CA to verify the server with (e.g. the dev CA in the data directory).")
    var cacert: String?
    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table
    @Option(help: "Deadline of each call (30s, 2m).")
    var timeout: String = "30s"

    func validate() throws {
        _ = try address()
        _ = try deadline()
    }

    func address() throws -> ServerAddress {
        do { return try ServerAddress(parsing: host) } catch { throw ValidationError(error.message) }
    }

    func deadline() throws -> Duration {
        do { return try DurationText.duration(timeout, field: "timeout") } catch { throw ValidationError(error.message) }
    }

    func apiKey() throws -> String {
        guard let key = key ?? environment("KEY"), !key.isEmpty else { throw ValidationError("--key (or TRAILMARK_KEY) is required") }
        return key
    }

    func transport() throws -> TransportClient {
        try TransportClient.trailmark(address: address(), key: apiKey(), tls: insecure ? .insecure : .verify(caFile: cacert),
                                      userAgent: "trailmark-cli/1")
    }

    func queryClient() throws -> TrailmarkQueryClient {
        TrailmarkQueryClient(transport: try transport(), timeout: try deadline())
    }
}

/// Times on the command line: RFC 3339, integer microseconds, `now`, or a duration
/// relative to now (`-7d`, `+1h`).
enum TimeArgument {
    static func micros(_ text: String, field: String, now: Int64 = Clock.nowMicros()) throws -> Int64 {
        if text == "now" { return now }
        if let value = Int64(text) { return value }
        if let sign = text.first, sign == "-" || sign == "+" {
            let offset = try DurationText.micros(String(text.dropFirst()), field: field)
            return sign == "-" ? now - offset : now + offset
        }
        if let value = TimeFormat.parseRFC3339(text) { return value }
        throw ValidationError("--\(field): expected RFC 3339, microseconds, now, or -7d / +1h; got \(text)")
    }
}

/// A CLI failure: prints `error: <code>: <message>` and exits 1.
struct ClientFailure: Error, CustomStringConvertible {
    var description: String

    init(_ error: any Error) {
        if let error = error as? TrailmarkError { description = "\(error.code): \(error.message)" } else { description = "\(error)" }
    }
}

/// Runs a client verb's body, turning SDK errors into a one-line message.
func runClient(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(ClientFailure(error))\n".utf8))
        throw ExitCode(1)
    }
}

/// `key=value` pairs: the value is a JSON scalar when it parses as one (`42`, `1.5`,
/// `true`, `null`, `"quoted"`), else the text itself.
func parseProperties(_ pairs: [String], field: String) throws -> Properties {
    var entries: [Property] = []
    for pair in pairs {
        guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw ValidationError("--\(field): expected key=value, got \(pair)") }
        let key = String(pair[..<eq])
        let text = String(pair[pair.index(after: eq)...])
        let value: PropertyValue
        if let int = Int64(text) {
            value = .int(int)
        } else if let double = Double(text), text.contains(".") || text.contains("e") {
            value = .double(double)
        } else if text == "true" || text == "false" {
            value = .bool(text == "true")
        } else if text == "null" {
            value = .null
        } else if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            value = .string(String(text.dropFirst().dropLast()))
        } else {
            value = .string(text)
        }
        entries.append(Property(key, value))
    }
    return Properties(entries)
}
