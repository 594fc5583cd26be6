import Synchronization
import TrailmarkTransport
import TrailmarkWire

/// How many 64 KiB messages the Flood handler managed to queue (the slow-reader test reads it).
enum FloodCounter {
    static let messages = Mutex(0)
    /// Calls that entered the Slow handler (the shutdown test waits for one).
    static let slowCallsEntered = Mutex(0)
}

/// A real `TransportServer` on 127.0.0.1 with echo RPCs of every shape and a few HTTP routes.
struct EchoServer {
    let server: TransportServer
    let port: Int
    let directory: TemporaryDirectory
    let caFile: String?

    static func router() -> TransportRouter {
        var router = TransportRouter()
        router.register("/trailmark.v1.Echo/Unary", .unary { request, _ in request })
        router.register("/trailmark.v1.Echo/SyncUnary", .synchronousUnary { request, context in
            request + Array(context.path.utf8.suffix(4))
        })
        router.register("/trailmark.v1.Echo/SyncFail", .synchronousUnary { request, _ in
            throw RPCError(.failedPrecondition, "sync says no to \(request.count) bytes")
        })
        router.register("/trailmark.v1.Echo/Fail", .unary { request, _ in
            throw RPCError(.resourceExhausted, "slow down: ünïcode % ok", trailers: ["retry-after-ms": "250"])
        })
        router.register("/trailmark.v1.Echo/Metadata", .unary { _, context in
            Array((context.headers["authorization"] ?? "none").utf8) + Array("|\(context.deadline != nil)".utf8)
        })
        router.register("/trailmark.v1.Echo/Headers", .synchronousUnary { _, context in
            Array(context.headers.fields.map { "\($0.name)=\($0.value)" }.joined(separator: "\n").utf8)
        })
        router.register("/trailmark.v1.Echo/Sleep", .unary { request, _ in
            try await Task.sleep(for: .seconds(30))
            return request
        })
        router.register("/trailmark.v1.Echo/Slow", .unary { request, _ in
            FloodCounter.slowCallsEntered.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(300))
            return request
        })
        router.register("/trailmark.v1.Echo/Collect", .clientStreaming { requests, _ in
            var all: [UInt8] = []
            for try await message in requests { all += message }
            return all
        })
        router.register("/trailmark.v1.Echo/Expand", .serverStreaming { request, _, responses in
            let count = Int(request.first ?? 0)
            for i in 0..<count { try await responses.write([UInt8(truncatingIfNeeded: i)]) }
        })
        router.register("/trailmark.v1.Echo/Bidi", .bidirectional { requests, _, responses in
            for try await message in requests { try await responses.write(message) }
        })
        router.register("/trailmark.v1.Echo/Flood", .serverStreaming { _, _, responses in
            let chunk = [UInt8](repeating: 0xAB, count: 64 << 10)
            for _ in 0..<4096 {  // 256 MiB if nothing pushed back
                try await responses.write(chunk)
                FloodCounter.messages.withLock { $0 += 1 }
            }
        })
        router.route("GET", "/v1/health", bodyBytesMax: 0) { _ in .json(200, #"{"status":"ok"}"#) }
        router.route("POST", "/v1/echo", bodyBytesMax: 1024) { request in
            HTTPResponse(status: 200, headers: ["x-query": request.query], body: request.body)
        }
        return router
    }

    static func start(plaintext: Bool, limits: TransportLimits = TransportLimits()) async throws -> EchoServer {
        let directory = try TemporaryDirectory()
        let security: TransportServerConfiguration.Security = plaintext ? .plaintext : .developmentCertificate(dataDirectory: directory.path)
        var configuration = TransportServerConfiguration(host: "127.0.0.1", port: 0, security: security, limits: limits)
        configuration.threads = 1
        configuration.timeouts.drain = .seconds(20)  // generous: a loaded machine must not turn a drain into a cut
        let server = TransportServer(configuration: configuration, router: router())
        try await server.start()
        return EchoServer(server: server, port: server.localPort!, directory: directory, caFile: server.developmentCAFile)  // bound by start()
    }

    func client() throws -> TransportClient {
        let security: TransportClientConfiguration.Security = caFile.map { .tls(caFile: $0, serverName: "localhost") } ?? .plaintext
        return try TransportClient(configuration: TransportClientConfiguration(host: "127.0.0.1", port: port, security: security))
    }

    func stop() async {
        await server.shutdown()
        directory.remove()
    }
}
