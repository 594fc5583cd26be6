import Foundation
import Testing
import TrailmarkTransport

/// The server against independent HTTP/2 and HTTP/1.1 implementations over real sockets:
/// curl, nghttp (nghttp2-client) and raw frames from python3-h2 (`Tests/transport/h2_probe.py`).
@Suite(.serialized, .enabled(if: ExternalProcess.exists("/usr/bin/curl") && ExternalProcess.exists("/usr/bin/nghttp")
                      && ExternalProcess.exists("/usr/bin/python3")))
struct PeerTests {
    private func curl(_ arguments: [String]) async throws -> ExternalProcess.Output {
        try await ExternalProcess.run("/usr/bin/curl", ["-sS", "--max-time", "20"] + arguments)
    }

    @Test(arguments: ["--http2", "--http1.1"]) func curlOverTLS(version: String) async throws {
        let echo = try await EchoServer.start(plaintext: false)
        let base = "https://localhost:\(echo.port)"
        let ca = ["--cacert", echo.caFile!]  // TLS servers always have a dev CA here
        let health = try await curl(ca + [version, "-w", " %{http_version} %{http_code}", base + "/v1/health"])
        let expectedVersion = version == "--http2" ? "2" : "1.1"
        #expect(health.stdout == #"{"status":"ok"} \#(expectedVersion) 200"#, "\(health.stderr)")

        let echoed = try await curl(ca + [version, "-H", "content-type: text/plain", "--data-binary", "hello", "-D", "-",
                                          base + "/v1/echo?a=1&b=2"])
        #expect(echoed.stdout.lowercased().contains("x-query: a=1&b=2"))
        #expect(echoed.stdout.hasSuffix("hello"))

        let tooLarge = try await curl(ca + [version, "--data-binary", String(repeating: "x", count: 5000), "-w", "%{http_code}",
                                            "-o", "/dev/null", base + "/v1/echo"])
        #expect(tooLarge.stdout == "413")
        let notFound = try await curl(ca + [version, "-w", "%{http_code}", "-o", "/dev/null", base + "/nowhere"])
        #expect(notFound.stdout == "404")
        await echo.stop()
    }

    @Test func curlGRPCRules() async throws {
        let echo = try await EchoServer.start(plaintext: true)
        let base = "http://127.0.0.1:\(echo.port)"
        let h2c = ["--http2-prior-knowledge"]
        // Wrong content type on an RPC path → 415.
        let wrongType = try await curl(h2c + ["-H", "content-type: application/json", "--data-binary", "{}", "-w", "%{http_code}",
                                              "-o", "/dev/null", base + "/trailmark.v1.Echo/Unary"])
        #expect(wrongType.stdout == "415")
        // Unknown method → trailers-only UNIMPLEMENTED (12).
        let unknown = try await curl(h2c + ["-H", "content-type: application/grpc+trailmark", "-H", "te: trailers", "--data-binary", "", "-D", "-",
                                            base + "/trailmark.v1.Echo/Nope"])
        #expect(unknown.stdout.contains("grpc-status: 12"))
        // No te: trailers → trailers-only UNKNOWN (2), as grpc servers answer.
        let noTE = try await curl(h2c + ["-H", "content-type: application/grpc+trailmark", "--data-binary", "", "-D", "-",
                                         base + "/trailmark.v1.Echo/Unary"])
        #expect(noTE.stdout.contains("grpc-status: 2"), "\(noTE.stdout)")
        // Compressed flag → UNIMPLEMENTED.
        let compressed = try await ExternalProcess.run("/bin/sh", ["-c",
            "printf '\\001\\000\\000\\000\\001x' | /usr/bin/curl -sS --http2-prior-knowledge -H 'content-type: application/grpc+trailmark' -H 'te: trailers' --data-binary @- -D - -o /dev/null \(base)/trailmark.v1.Echo/Unary"])
        #expect(compressed.stdout.contains("grpc-status: 12"), "\(compressed.stdout)")
        // Plaintext HTTP/1.1 on the same port (sniffed).
        let http1 = try await curl(["--http1.1", base + "/v1/health"])
        #expect(http1.stdout == #"{"status":"ok"}"#)
        // RPC over HTTP/1.1 is refused.
        let rpcOverHTTP1 = try await curl(["--http1.1", "-H", "content-type: application/grpc+trailmark", "--data-binary", "x",
                                           "-w", "%{http_code}", "-o", "/dev/null", base + "/trailmark.v1.Echo/Unary"])
        #expect(rpcOverHTTP1.stdout == "505")
        await echo.stop()
    }

    @Test func nghttpClient() async throws {
        let echo = try await EchoServer.start(plaintext: false)
        let result = try await ExternalProcess.run("/usr/bin/nghttp", ["-v", "https://127.0.0.1:\(echo.port)/v1/health"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(#"{"status":"ok"}"#))
        #expect(result.stdout.contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128"))
        #expect(result.stdout.contains("SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048576"))
        await echo.stop()
    }

    @Test(.enabled(if: ExternalProcess.exists("/usr/sbin/nghttpd"))) func ourClientAgainstNghttpd() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try DevelopmentCertificates.ensure(in: dir.path)
        try FileManager.default.createDirectory(atPath: dir.path + "/www", withIntermediateDirectories: true)
        try Data("0123456789".utf8).write(to: URL(fileURLWithPath: dir.path + "/www/small"))
        let port = Int.random(in: 30_000..<40_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/nghttpd")
        server.arguments = ["-d", dir.path + "/www", "-a", "127.0.0.1", String(port), files.privateKeyFile, files.certificateChainFile]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGKILL)  // SIGTERM may be blocked (inherited mask)
            server.waitUntilExit()
        }
        let client = try TransportClient(configuration: TransportClientConfiguration(
            host: "127.0.0.1", port: port, security: .tls(caFile: files.caCertificateFile, serverName: "localhost")))
        var response: HTTPResponse?
        for _ in 0..<100 where response == nil {  // nghttpd needs a moment to listen
            response = try? await client.request("GET", "/small")
            if response == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(response?.status == 200)
        #expect(response?.body == Array("0123456789".utf8))
        // Many multiplexed requests on the one connection.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await client.request("GET", "/small").status } }
            for try await status in group { #expect(status == 200) }
        }
        #expect(try await client.request("GET", "/missing").status == 404)
        await client.close()
    }

    private func probe(_ port: Int, _ scenario: String) async throws -> ExternalProcess.Output {
        try await ExternalProcess.run("/usr/bin/python3", [ExternalProcess.scriptsDirectory + "/h2_probe.py", String(port), scenario])
    }

    @Test(arguments: ["bad_preface", "data_on_closed_stream", "window_overflow", "header_flood", "ping_flood", "rapid_reset"])
    func protocolAbuseLeavesServerServing(scenario: String) async throws {
        let echo = try await EchoServer.start(plaintext: true)
        let result = try await probe(echo.port, scenario)
        #expect(result.status == 0, "\(scenario): \(result.stderr)")
        #expect(result.stdout.hasPrefix("RESULT"))
        print("probe \(scenario): \(result.stdout)")
        // Others are still served.
        let client = try echo.client()
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", [9]) == [9])
        await client.close()
        await echo.stop()
    }

    @Test func sixteenMebibyteMessageWithFlowControl() async throws {
        var limits = TransportLimits()
        limits.messageBytesMax = 17 << 20
        let echo = try await EchoServer.start(plaintext: true, limits: limits)
        let result = try await probe(echo.port, "big_message")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("bytes=16777216 status=0"))
        await echo.stop()
    }

    @Test func slowReaderStopsTheHandler() async throws {
        let echo = try await EchoServer.start(plaintext: true)
        FloodCounter.messages.withLock { $0 = 0 }
        let result = try await probe(echo.port, "slow_reader")
        #expect(result.status == 0, "\(result.stderr)")
        // 4096 messages (256 MiB) if nothing pushed back; flow control, the socket buffers and
        // the 256 KiB stream budget allow only a few MiB.
        let queued = FloodCounter.messages.withLock { $0 }
        #expect(queued > 0 && queued < 160, "queued \(queued) messages of 64 KiB")
        await echo.stop()
    }
}
