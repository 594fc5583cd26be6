import Foundation
import TrailmarkTransport

/// Transport benchmarks (issue 5), every anchor measured in the same run with h2load over
/// TLS 1.3, 1 h2load thread, 16 connections × 32 streams, 10-byte bodies:
/// - our echo RPC vs nghttpd serving a 10-byte file (goal ≥ 0.9× requests/s), server CPU per
///   request from /proc/PID/stat for both, in alternated pairs (median pair shown);
/// - our echo RPC vs grpc-swift-2 + grpc-swift-nio-transport serving the same echo (goal: faster);
/// - resident memory per idle connection over 1,000 connections (goal ≤ 64 KiB);
/// - resident growth while a client uploads 256 MiB and never reads the echo (goal ≤ 32 MiB).
///
/// Our server runs in this process on one event loop (nghttpd's default is one thread too).
enum TransportBench {
    static var requests: Int { Int(ProcessInfo.processInfo.environment["TRANSPORT_BENCH_REQUESTS"] ?? "") ?? 200_000 }
    /// `TRANSPORT_BENCH_QUICK=1`: only the nghttpd comparison (for quick A/B runs while tuning).
    static var quick: Bool { ProcessInfo.processInfo.environment["TRANSPORT_BENCH_QUICK"] == "1" }
    /// `TRANSPORT_BENCH_ROUNDS=N`: alternated pairs of the nghttpd comparison (default 3).
    static var rounds: Int { max(1, Int(ProcessInfo.processInfo.environment["TRANSPORT_BENCH_ROUNDS"] ?? "") ?? 3) }
    static let grpcAnchor = ".build-grpc-echo/release/GRPCSwiftEcho"
    static let probe = "Tests/transport/h2_probe.py"

    /// `TRANSPORT_BENCH_SERVE_SECONDS=N`: only serve the echo on 127.0.0.1:18600 (TLS, the
    /// development certificate in a temporary directory) for N seconds, for profiling by hand
    /// (`perf record -p`, `strace -c`, h2load with other settings).
    static var serveSeconds: Int? { ProcessInfo.processInfo.environment["TRANSPORT_BENCH_SERVE_SECONDS"].flatMap { Int($0) } }

    static func run() async throws -> BenchTable {
        if let seconds = serveSeconds { return try await serve(seconds: seconds) }
        var table = BenchTable(title: "transport (h2load TLS 1.3, -c 16 -m 32 -t 1, \(fmt(Double(requests), decimals: 0)) requests)")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load") else {
            table.add("h2load missing", value: "skipped", goal: "apt install nghttp2-client")
            return table
        }
        let work = NSTemporaryDirectory() + "trailmark-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work + "/www", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let certs = try DevelopmentCertificates.ensure(in: work)
        let body = [UInt8]("0123456789".utf8)
        try Data(body).write(to: URL(fileURLWithPath: work + "/www/small"))
        try Data([0, 0, 0, 0, 10] + body).write(to: URL(fileURLWithPath: work + "/message"))

        let server = try await startServer(.developmentCertificate(dataDirectory: work))
        let port = server.localPort!  // bound by start()
        let rpcArgs = ["-H", "content-type: application/grpc+trailmark", "-H", "te: trailers", "-d", work + "/message"]
        let nghttpd = try BenchProcess.start("/usr/sbin/nghttpd", ["-d", work + "/www", "18601", certs.privateKeyFile, certs.certificateChainFile])
        defer { BenchProcess.stop(nghttpd) }
        try await BenchProcess.waitForPort(18601)
        // Rounds of back-to-back pairs (ours, then nghttpd): on this shared 2-core machine
        // another process starting or stopping between two runs moved a single pair's ratio
        // from 0.8x to 0.56x. The table shows the pair with the median ratio, and every ratio.
        var pairs: [(ours: H2Load, anchor: H2Load)] = []
        for _ in 0..<rounds {
            let ours = try await H2Load.run(url: "https://127.0.0.1:\(port)/trailmark.v1.Echo/Unary", extra: rpcArgs,
                                            requests: requests, serverPID: getpid())
            let anchor = try await H2Load.run(url: "https://127.0.0.1:18601/small", extra: [], requests: requests,
                                              serverPID: nghttpd.processIdentifier)
            pairs.append((ours, anchor))
        }
        BenchProcess.stop(nghttpd)
        let ratios = pairs.map { $0.ours.requestsPerSecond / $0.anchor.requestsPerSecond }
        let (ours, anchor) = pairs[ratios.indices.sorted { ratios[$0] < ratios[$1] }[ratios.count / 2]]

        table.add("echo RPC req/s vs nghttpd file (median of \(rounds) pairs)", value: fmt(ours.requestsPerSecond, decimals: 0),
                  anchor: fmt(anchor.requestsPerSecond, decimals: 0), ratio: fmt(ours.requestsPerSecond / anchor.requestsPerSecond) + "x", goal: "≥ 0.9x")
        table.add("req/s ratio of each pair, in run order", value: ratios.map { fmt($0) + "x" }.joined(separator: " "), goal: "printed")
        table.add("server CPU µs/request (ours vs nghttpd)", value: fmt(ours.cpuMicrosPerRequest), anchor: fmt(anchor.cpuMicrosPerRequest),
                  ratio: fmt(ours.cpuMicrosPerRequest / anchor.cpuMicrosPerRequest) + "x", goal: "printed")
        table.add("h2load CPU µs/request (against ours vs nghttpd)", value: fmt(ours.clientCPUMicrosPerRequest), anchor: fmt(anchor.clientCPUMicrosPerRequest),
                  ratio: fmt(ours.clientCPUMicrosPerRequest / anchor.clientCPUMicrosPerRequest) + "x", goal: "printed")
        if quick {
            await server.shutdown()
            return table
        }

        if FileManager.default.isExecutableFile(atPath: grpcAnchor) {
            let grpc = try BenchProcess.start(grpcAnchor, ["18602", certs.certificateChainFile, certs.privateKeyFile])
            defer { BenchProcess.stop(grpc) }
            try await BenchProcess.waitForPort(18602)
            let grpcArgs = ["-H", "content-type: application/grpc", "-H", "te: trailers", "-d", work + "/message"]
            let swift = try await H2Load.run(url: "https://127.0.0.1:18602/trailmark.v1.Echo/Unary", extra: grpcArgs,
                                             requests: requests, serverPID: grpc.processIdentifier)
            BenchProcess.stop(grpc)
            table.add("echo RPC req/s vs grpc-swift-2", value: fmt(ours.requestsPerSecond, decimals: 0), anchor: fmt(swift.requestsPerSecond, decimals: 0),
                      ratio: fmt(ours.requestsPerSecond / swift.requestsPerSecond) + "x", goal: "> 1x")
            table.add("server CPU µs/request (ours vs grpc-swift-2)", value: fmt(ours.cpuMicrosPerRequest), anchor: fmt(swift.cpuMicrosPerRequest),
                      ratio: fmt(ours.cpuMicrosPerRequest / swift.cpuMicrosPerRequest) + "x", goal: "printed")
        } else {
            table.add("echo RPC vs grpc-swift-2", value: "skipped", anchor: "\(grpcAnchor) not built", goal: "make bench-transport-anchor")
        }

        // 1,000 idle TLS connections.
        let before = BenchProcess.residentBytes()
        let idle = try BenchProcess.start("/usr/bin/python3", [probe, String(port), "idle_connections"])
        var peak = before
        while idle.isRunning {
            if server.connectionCount >= 1000 { peak = max(peak, BenchProcess.residentBytes()) }
            try await Task.sleep(for: .milliseconds(100))
        }
        let perConnection = Double(peak - before) / 1000
        table.add("resident memory per idle connection", value: fmt(perConnection / 1024, decimals: 1) + " KiB",
                  goal: "≤ 64 KiB")
        await server.shutdown()

        // 256 MiB upload whose echo is never read (plaintext h2c so the raw-frame client can drive it).
        let plain = try await startServer(.plaintext)
        let baseline = BenchProcess.residentBytes()
        let upload = try BenchProcess.start("/usr/bin/python3", [probe, String(plain.localPort!), "upload_no_read"])  // bound by start()
        var uploadPeak = baseline
        while upload.isRunning {
            uploadPeak = max(uploadPeak, BenchProcess.residentBytes())
            try await Task.sleep(for: .milliseconds(50))
        }
        table.add("resident growth, 256 MiB upload, echo unread", value: fmt(Double(uploadPeak - baseline) / 1_048_576, decimals: 1) + " MiB",
                  goal: "≤ 32 MiB")
        await plain.shutdown()
        return table
    }

    private static func serve(seconds: Int) async throws -> BenchTable {
        let work = NSTemporaryDirectory() + "trailmark-bench-serve"
        let server = try await startServer(.developmentCertificate(dataDirectory: work), port: 18600)
        print("serving https://127.0.0.1:18600/trailmark.v1.Echo/Unary for \(seconds) s (pid \(getpid()), certificates in \(work)/tls)")
        try await Task.sleep(for: .seconds(seconds))
        await server.shutdown()
        return BenchTable(title: "transport: served for \(seconds) s")
    }

    private static func startServer(_ security: TransportServerConfiguration.Security, port: Int = 0) async throws -> TransportServer {
        var router = TransportRouter()
        // The echo answers without suspending: a synchronous handler, run inline on the loop.
        router.register("/trailmark.v1.Echo/Unary", .synchronousUnary { request, _ in request })
        router.register("/trailmark.v1.Echo/Bidi", .bidirectional { requests, _, responses in
            for try await message in requests { try await responses.write(message) }
        })
        let configuration = TransportServerConfiguration(host: "127.0.0.1", port: port, security: security, threads: 1)
        let server = TransportServer(configuration: configuration, router: router)
        try await server.start()
        return server
    }
}
