import Foundation
import TrailmarkWire

/// Ingest benchmark (issue: server end to end): the real `trailmark` release binary over
/// TLS + HTTP/2 on loopback with durable group-commit acks, driven by h2load with one
/// connection and 8 concurrent streams of 1,000-event batches:
/// - binary RPC `Ingest/Track` events/s and p50/p99 ack latency (goal 1,000,000 events/s);
/// - the same events through the JSON gateway `POST /v1/batch` (goal: binary ≥ 5x JSON).
/// Events carry no `event_id` (the server assigns one), so every batch is stored; the run
/// checks afterwards that the server stored exactly the events it acknowledged.
enum IngestBench {
    static var batches: Int { Int(ProcessInfo.processInfo.environment["INGEST_BENCH_BATCHES"] ?? "") ?? 2_000 }
    static let binary = ".build/release/trailmark"

    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "ingest (trailmark release binary, TLS h2, 1 connection x 8 streams, 1,000-event batches, group commit)")
        guard FileManager.default.isExecutableFile(atPath: binary), FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load") else {
            table.add("ingest", value: "skipped", anchor: "needs \(binary) and h2load", goal: "make bench builds both")
            return table
        }
        let work = NSTemporaryDirectory() + "trailmark-ingest-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        var events = CodecBenchData.batch(count: 1000, seed: 7)
        for i in events.indices { events[i].eventID = nil }
        let rpcBody = EventBatch(events: events).framed()
        try Data(rpcBody).write(to: URL(fileURLWithPath: work + "/batch.bin"))
        try JSONEncoder().encode(JSONBatch(EventBatch(events: events))).write(to: URL(fileURLWithPath: work + "/batch.json"))

        let port = 18_700 + Int(getpid() % 200)
        let server = try BenchProcess.start(binary, [
            "serve", "--data", work + "/data", "--host", "127.0.0.1", "--port", String(port),
            "--rate-requests", "1000000", "--rate-events", "1000000000",
        ])
        defer { BenchProcess.stop(server) }
        try await BenchProcess.waitForPort(port)
        let key = try keyCreate(data: work + "/data")
        let auth = ["-H", "authorization: Bearer \(key)"]
        let base = "https://127.0.0.1:\(port)"

        let rpc = try await IngestLoad.run(
            url: base + TrailmarkRPC.track.path, requests: batches, log: work + "/rpc.log",
            extra: auth + ["-H", "content-type: application/grpc+trailmark", "-H", "te: trailers", "-d", work + "/batch.bin"])
        let json = try await IngestLoad.run(
            url: base + "/v1/batch", requests: max(200, batches / 5), log: work + "/json.log",
            extra: auth + ["-H", "content-type: application/json", "-d", work + "/batch.json"])

        let stored = try await storedCount(base: base, key: key, caFile: work + "/data/tls/ca.pem")
        let acknowledged = (rpc.succeeded + json.succeeded) * 1000
        let rpcEvents = rpc.requestsPerSecond * 1000
        let jsonEvents = json.requestsPerSecond * 1000
        table.add("binary RPC events/s", value: fmt(rpcEvents, decimals: 0), anchor: "1,000,000 (goal)",
                  ratio: fmt(rpcEvents / 1_000_000) + "x", goal: "≥ 1x")
        table.add("binary ack latency p50 / p99", value: "\(fmt(rpc.p50Millis)) / \(fmt(rpc.p99Millis)) ms")
        table.add("JSON gateway events/s", value: fmt(jsonEvents, decimals: 0))
        table.add("JSON ack latency p50 / p99", value: "\(fmt(json.p50Millis)) / \(fmt(json.p99Millis)) ms")
        table.add("binary vs JSON events/s", value: fmt(rpcEvents, decimals: 0), anchor: fmt(jsonEvents, decimals: 0),
                  ratio: fmt(rpcEvents / max(jsonEvents, 1)) + "x", goal: "≥ 5x")
        // h2load counts every HTTP 2xx as a success, but an RPC that fails is HTTP 200 too
        // (its gRPC status is in the trailers). The server's own count of calls that ended
        // OK / 202 is the acknowledgement count; h2load's must not be lower.
        let metrics = try await curl(["-s", "--cacert", work + "/data/tls/ca.pem", base + "/metrics"])
        let calls = metrics.split(separator: "\n").filter { $0.hasPrefix("trailmark_requests_total{") }
        func count(_ method: String, _ status: String) -> Int {
            calls.first { $0.contains("method=\"\(method)\"") && $0.contains("status=\"\(status)\"") }
                .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
        }
        let serverAcknowledged = (count("rpc:Ingest/Track", "OK") + count("http:batch", "202")) * 1000
        table.add("stored == acknowledged by the server (warm-ups included)", value: "\(stored)", anchor: "\(serverAcknowledged)",
                  ratio: stored == serverAcknowledged ? "exact" : "MISMATCH", goal: "exact")
        table.add("h2load 2xx == server acknowledgements", value: "\(acknowledged)", anchor: "\(serverAcknowledged)",
                  ratio: acknowledged == serverAcknowledged ? "exact" : "DIFFERENT", goal: "exact")
        if stored != serverAcknowledged || acknowledged != serverAcknowledged {
            for line in calls { table.add("server: " + String(line.prefix(90)), value: "") }
        }
        return table
    }

    private static func keyCreate(data: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["keys", "create", "--data", data, "--project", "bench", "--kind", "secret"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard let key = text.split(separator: "\n").last(where: { $0.hasPrefix("sk_") }) else { throw BenchError(message: "no key: \(text)") }
        return String(key)
    }

    /// curl's output for `arguments`.
    private static func curl(_ arguments: [String]) async throws -> String {
        String(decoding: try await curlData(arguments), as: UTF8.self)
    }

    private static func curlData(_ arguments: [String]) async throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = await Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        return data
    }

    /// Events stored, through the JSON gateway (`/v1/stats?metric=count`), with curl.
    private static func storedCount(base: String, key: String, caFile: String) async throws -> Int {
        let data = try await curlData(["-s", "--cacert", caFile, "-H", "authorization: Bearer \(key)", base + "/v1/stats?metric=count"])
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rows = root["rows"] as? [[String: Any]], let value = rows.first?["value"] as? Int else {
            throw BenchError(message: "stats answer: \(String(decoding: data, as: UTF8.self))")
        }
        return value
    }
}

/// One h2load run with a per-request log, after a warm-up of a tenth of the requests.
struct IngestLoad {
    var requestsPerSecond: Double
    var succeeded: Int
    var p50Millis: Double
    var p99Millis: Double

    static func run(url: String, requests: Int, log: String, extra: [String]) async throws -> IngestLoad {
        let warm = try await h2load(url: url, requests: max(20, requests / 10), extra: extra)
        let text = try await h2load(url: url, requests: requests, extra: extra + ["--log-file", log])
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("finished in") }),
              let rate = line.split(separator: ",").dropFirst().first?.split(separator: " ").first.flatMap({ Double($0) }) else {
            throw BenchError(message: "h2load against \(url) failed:\n\(text)")
        }
        // Log lines: start time (µs since epoch), HTTP status, request duration (µs).
        let durations = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { row -> Double? in
            let f = row.split(separator: "\t")
            guard f.count >= 3, (200..<300).contains(Int(f[1]) ?? 0) else { return nil }
            return Double(f[2])
        }.sorted()
        guard !durations.isEmpty else { throw BenchError(message: "no successful request against \(url):\n\(text)") }
        func percentile(_ p: Double) -> Double { durations[min(durations.count - 1, Int((Double(durations.count) * p).rounded(.up)) - 1)] / 1000 }
        return IngestLoad(requestsPerSecond: rate, succeeded: durations.count + succeededCount(warm),
                          p50Millis: percentile(0.5), p99Millis: percentile(0.99))
    }

    /// The warm-up's 2xx responses (h2load's "succeeded" also counts a completed request
    /// with a 4xx or 5xx status): `status codes: N 2xx, …`.
    private static func succeededCount(_ text: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("status codes:") }) else { return 0 }
        let counts = line.dropFirst("status codes:".count).split(separator: ",").map { $0.split(separator: " ") }
        return counts.first(where: { $0.last == "2xx" }).flatMap { Int($0.first ?? "") } ?? 0
    }

    private static func h2load(url: String, requests: Int, extra: [String]) async throws -> String {
        try await H2Load.output(url: url, extra: extra, requests: requests, connections: 1, streams: 8)
    }
}
