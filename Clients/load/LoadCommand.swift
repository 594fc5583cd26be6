import ArgumentParser
import Foundation
import TrailmarkSDK
import TrailmarkTransport
import TrailmarkWire

/// `trailmark-load`: drives a Trailmark server with N connections × M `Ingest/TrackStream`
/// streams of binary batches, reports throughput and ack latency, and with `--verify`
/// proves that every acknowledged event was stored exactly once (also across `--chaos`
/// SIGKILLs of a server it launched itself). Exits 1 on any loss, duplicate or torn batch.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trailmark-load",
        abstract: "Load generator and durability checker for a Trailmark server.")

    @Option(help: "Server URL (http://host:port for --plaintext servers). Env TRAILMARK_HOST.")
    var host: String?
    @Option(help: "Secret key (sk_…). Env TRAILMARK_KEY.") var key: String?
    @Flag(help: "Do not verify the server's TLS certificate.") var insecure = false
    @Option(help: "PEM CA file to verify the server with.") var cacert: String?
    @Option(help: "Run for this long (10s, 2m); the default when --events is not given.") var duration: String?
    @Option(help: "Send this many events, then stop.") var events: Int?
    @Option(help: "HTTP/2 connections.") var connections = 2
    @Option(help: "TrackStream streams per connection.") var streams = 4
    @Option(help: "Events per batch.") var batch = 1000
    @Option(help: "Target events per second over all streams, their batches evenly staggered (default: flat out).") var rate: Double?
    @Option(help: "Batches in flight per stream.") var window = 4
    @Option(help: "Leave batches sent in this first part of the run (1s, 500ms) out of the latency percentiles; they are still counted and verified (default: none).")
    var warmup: String?
    @Flag(help: "Read everything back and check exactly-once storage.") var verify = false
    @Flag(name: .customLong("fresh-batches"), help: "Generate and encode every batch (by default the first 16 batches of each stream are generated and then resent with new event ids, times and batch ids, so the harness uses less of the machine).")
    var freshBatches = false
    @Flag(help: "SIGKILL and restart the server (needs --server-bin) at random moments; implies --verify.") var chaos = false
    @Option(help: "Mean time between chaos kills.") var chaosEvery = "1.5s"
    @Option(name: .customLong("retry-duplicates"), help: "Fraction of acknowledged batches resent unchanged (0..1).")
    var retryDuplicates: Double = 0
    @Flag(help: "Print the final report as one JSON object.") var json = false
    @Option(name: .customLong("server-bin"), help: "Launch this trailmark binary on 127.0.0.1 (h2c) instead of using --host.")
    var serverBin: String?
    @Option(help: "Data directory for --server-bin (default: a new temporary directory, removed after a clean run).")
    var data: String?
    @Option(name: .customLong("server-arg"), help: "Extra argument for the launched server (repeatable), e.g. --server-arg=--durability=none.")
    var serverArg: [String] = []
    @Option(help: "Seed of the event generator.") var seed: UInt64 = 1

    func validate() throws {
        guard connections >= 1, connections <= 256 else { throw ValidationError("--connections must be 1...256") }
        guard streams >= 1, streams <= 1024 else { throw ValidationError("--streams must be 1...1024") }
        guard batch >= 1, batch <= 100_000 else { throw ValidationError("--batch must be 1...100000") }
        guard window >= 1, window <= 1024 else { throw ValidationError("--window must be 1...1024") }
        guard (0...1).contains(retryDuplicates) else { throw ValidationError("--retry-duplicates must be 0...1") }
        if let rate { guard rate > 0 else { throw ValidationError("--rate must be positive") } }
        if let events { guard events > 0 else { throw ValidationError("--events must be positive") } }
        guard !(chaos && serverBin == nil) else { throw ValidationError("--chaos needs --server-bin (a server this harness launches)") }
        guard serverBin != nil || (host ?? env("HOST")) != nil else { throw ValidationError("--host (or TRAILMARK_HOST) or --server-bin is required") }
    }

    func run() async throws {
        let runDuration: Duration = try duration.map { try DurationText.duration($0, field: "duration") } ?? (events == nil ? .seconds(10) : .seconds(3_600))
        let chaosMean = try DurationText.duration(chaosEvery, field: "chaos-every")
        var server: ManagedServer?
        var ownsData = false
        let address: ServerAddress
        let apiKey: String
        if let serverBin {
            let directory = data ?? NSTemporaryDirectory() + "trailmark-load-\(UUIDv7.random().prefix(8))"
            ownsData = data == nil
            let managed = ManagedServer(binary: serverBin, data: directory, port: ManagedServer.freePort(),
                                        extraArguments: ["--rate-requests", "10000000", "--rate-events", "1000000000"] + serverArg)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            apiKey = try key ?? env("KEY") ?? managed.createKey()
            try await managed.start()
            server = managed
            address = managed.address
            note("server \(serverBin) on \(address), data \(directory)")
        } else {
            address = try ServerAddress(parsing: host ?? env("HOST") ?? "")
            guard let given = key ?? env("KEY") else { throw ValidationError("--key (or TRAILMARK_KEY) is required") }
            apiKey = given
        }
        let tls: TLSVerification = insecure ? .insecure : .verify(caFile: cacert)
        let transports = try (0..<connections).map { _ in try TransportClient.trailmark(address: address, key: apiKey, tls: tls, userAgent: "trailmark-load/1") }
        let run = "L" + String(UUIDv7.random().prefix(8))
        let warmupDuration = try warmup.map { try DurationText.duration($0, field: "warmup") }
        let identifyLedger = IdentifyLedger()
        let clock = ContinuousClock()
        let totalStreams = connections * streams
        func eventsMax(_ s: Int) -> Int? { events.map { $0 / totalStreams + (s < $0 % totalStreams ? 1 : 0) } }
        // Each stream's templates are made before the clock starts (`BatchSource.prepare`).
        let preparedAt = Clock.nowMicros()
        let prepared = (0..<totalStreams).map { s in
            StreamDriver.prepared(index: s, run: run, seed: seed, batchSize: batch, templates: !freshBatches, eventsMax: eventsMax(s), now: preparedAt)
        }
        let started = clock.now
        let metrics = LoadMetrics(latencyFrom: warmupDuration.map { started + $0 })
        let startedMicros = Clock.nowMicros()
        let plan = StreamPlan(
            run: run, seed: seed, batchSize: batch, eventsMax: nil,
            batchesPerSecond: rate.map { $0 / Double(batch) / Double(totalStreams) },
            stopAt: started + runDuration, drainUntil: started + runDuration + .seconds(30), window: window,
            retryDuplicates: retryDuplicates, retry: RetryPolicy(base: .milliseconds(20), cap: .seconds(1)))

        let managed = server
        let progress = Task { await Self.progress(metrics: metrics, started: started, server: managed) }
        let chaosTask: Task<Void, Never>? = chaos ? Task { await Self.chaos(server: managed, until: started + runDuration, mean: chaosMean, seed: seed) } : nil

        let ledgers = await withTaskGroup(of: (Int, StreamLedger).self) { group in
            for s in 0..<totalStreams {
                var streamPlan = plan
                streamPlan.eventsMax = eventsMax(s)
                streamPlan.phase = Double(s) / Double(totalStreams)
                streamPlan.templates = !freshBatches
                let driver = StreamDriver(index: s, transport: transports[s % connections], metrics: metrics, plan: streamPlan,
                                          identifyLedger: identifyLedger, generator: prepared[s].generator, source: prepared[s].source)
                group.addTask { (s, await driver.run()) }
            }
            var all = [StreamLedger](repeating: StreamLedger(), count: totalStreams)
            for await (s, ledger) in group { all[s] = ledger }
            return all
        }
        let elapsed = clock.now - started
        await chaosTask?.value
        progress.cancel()
        await progress.value
        FileHandle.standardError.write("\n".data(using: .utf8) ?? Data())

        var verification: Verifier.Result?
        if verify || chaos {
            if let server { try await server.waitHealthy(timeout: .seconds(120)) }
            let query = TrailmarkQueryClient(transport: transports[0], timeout: .seconds(60))
            let verifier = Verifier(query: query, run: run)
            try await verifier.waitIndexed()
            note("verifying run \(run)…")
            verification = try await verifier.verify(ledgers: ledgers, identifies: identifyLedger.snapshot(), from: startedMicros - 3_600_000_000, to: Clock.nowMicros() + 3_600_000_000)
        }
        let report = LoadReport(metrics: metrics.snapshot(), elapsed: elapsed, verification: verification,
                                restarts: server?.restarts ?? 0, ledgers: ledgers, templates: !freshBatches)
        print(json ? report.json() : report.text())
        for transport in transports { await transport.close() }
        server?.stop()
        if report.failed {
            if let server { note("server data kept in \(server.data)") }
            throw ExitCode(1)
        }
        if ownsData, let server { try? FileManager.default.removeItem(atPath: server.data) }
    }

    private func env(_ name: String) -> String? { ProcessInfo.processInfo.environment["TRAILMARK_\(name)"] }

    private func note(_ text: String) {
        FileHandle.standardError.write("trailmark-load: \(text)\n".data(using: .utf8) ?? Data())
    }

    /// One status line a second on stderr.
    static func progress(metrics: LoadMetrics, started: ContinuousClock.Instant, server: ManagedServer?) async {
        var lastAcked: UInt64 = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let s = metrics.snapshot()
            let seconds = Double((ContinuousClock.now - started).components.seconds)
            let errors = s.errors.values.reduce(0, +)
            let p99 = Double(s.latency.valueAtPercentile(99)) / 1000
            let line = String(format: "\r[%4.0fs] acked %@ events (%@/s now), p99 %.1f ms, errors %llu, restarts %d   ",
                              seconds, LoadReport.group(s.eventsAcked), LoadReport.group(s.eventsAcked - lastAcked), p99, errors, server?.restarts ?? 0)
            lastAcked = s.eventsAcked
            FileHandle.standardError.write(line.data(using: .utf8) ?? Data())
        }
    }

    /// Kills and restarts the server at random moments until `until` (exponential gaps with
    /// mean `mean`, at least 200 ms), leaving it running at the end.
    static func chaos(server: ManagedServer?, until: ContinuousClock.Instant, mean: Duration, seed: UInt64) async {
        guard let server else { return }
        var random = SplitMix64(state: seed ^ 0xC4A05)
        let meanMs = Double(mean.components.seconds * 1000 + mean.components.attoseconds / 1_000_000_000_000_000)
        while true {
            let u = Double(random.next() % 1_000_000 + 1) / 1_000_001
            var gap = Duration.milliseconds(Int64(max(200, -log(u) * meanMs)))
            if ContinuousClock.now + gap >= until {
                // At least one kill per run, in the middle of what is left.
                guard server.restarts == 0, until - ContinuousClock.now > .milliseconds(400) else { break }
                gap = (until - ContinuousClock.now) / 2
            }
            try? await Task.sleep(for: gap)
            do {
                try await server.restart()
            } catch {
                FileHandle.standardError.write("\ntrailmark-load: restart failed: \(error)\n".data(using: .utf8) ?? Data())
                return
            }
        }
    }
}
