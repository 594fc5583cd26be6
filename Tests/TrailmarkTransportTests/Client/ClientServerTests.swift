import Testing
import TrailmarkTransport
import TrailmarkWire

/// Our client against our server over real sockets, TLS and plaintext.
@Suite struct ClientServerTests {
    @Test(arguments: [false, true]) func everyCallShape(plaintext: Bool) async throws {
        let echo = try await EchoServer.start(plaintext: plaintext)
        let client = try echo.client()
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", [1, 2, 3]) == [1, 2, 3])
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", []) == [])
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", big) == big)

        let collected = try await client.clientStreaming("/trailmark.v1.Echo/Collect") { writer in
            for i in 0..<100 { try await writer.write([UInt8(i)]) }
        }
        #expect(collected == (0..<100).map { UInt8($0) })

        var expanded: [UInt8] = []
        for try await message in try await client.serverStreaming("/trailmark.v1.Echo/Expand", [200]) { expanded += message }
        #expect(expanded == (0..<200).map { UInt8($0) })

        let call = try await client.bidirectional("/trailmark.v1.Echo/Bidi")
        var iterator = call.responses.makeAsyncIterator()
        for i in 0..<10 {
            try await call.send([UInt8(i), 7])
            #expect(try await iterator.next() == [UInt8(i), 7])
        }
        call.finish()
        #expect(try await iterator.next() == nil)
        #expect(await call.status().code == .ok)

        // 200 concurrent calls on the one connection.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask { try await client.unary("/trailmark.v1.Echo/Unary", [UInt8(i % 256)]) == [UInt8(i % 256)] }
            }
            for try await ok in group { #expect(ok) }
        }
        await client.close()
        await echo.stop()
    }

    @Test func errorsCarryStatusMessageAndTrailers() async throws {
        let echo = try await EchoServer.start(plaintext: true)
        let client = try echo.client()
        do {
            _ = try await client.unary("/trailmark.v1.Echo/Fail", [])
            Issue.record("expected RESOURCE_EXHAUSTED")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted)
            #expect(error.message == "slow down: ünïcode % ok")
            #expect(error.trailers["retry-after-ms"] == "250")
        }
        await #expect(throws: RPCError.self) { try await client.unary("/trailmark.v1.Echo/Missing", []) }
        do {
            _ = try await client.unary("/trailmark.v1.Echo/Missing", [])
        } catch let error as RPCError {
            #expect(error.code == .unimplemented)
        }
        do {
            _ = try await client.unary("/trailmark.v1.Echo/Sleep", [], timeout: .milliseconds(100))
            Issue.record("expected DEADLINE_EXCEEDED")
        } catch let error as RPCError {
            #expect(error.code == .deadlineExceeded)
        }
        let metadata = try await client.unary("/trailmark.v1.Echo/Metadata", [], metadata: ["authorization": "Bearer sk_x"], timeout: .seconds(5))
        #expect(String(decoding: metadata, as: UTF8.self) == "Bearer sk_x|true")
        await client.close()
        await echo.stop()
    }

    /// A synchronous unary handler runs inline on the loop: its answer, its thrown status, and
    /// many concurrent calls interleaved with task-based ones on one connection.
    @Test func synchronousUnaryHandlers() async throws {
        let echo = try await EchoServer.start(plaintext: false)
        let client = try echo.client()
        #expect(try await client.unary("/trailmark.v1.Echo/SyncUnary", [9, 8]) == [9, 8] + Array("nary".utf8))
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try await client.unary("/trailmark.v1.Echo/SyncUnary", big) == big + Array("nary".utf8))
        do {
            _ = try await client.unary("/trailmark.v1.Echo/SyncFail", [1, 2, 3])
            Issue.record("expected FAILED_PRECONDITION")
        } catch let error as RPCError {
            #expect(error.code == .failedPrecondition)
            #expect(error.message == "sync says no to 3 bytes")
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<300 {
                let path = i % 2 == 0 ? "/trailmark.v1.Echo/SyncUnary" : "/trailmark.v1.Echo/Unary"
                let suffix = i % 2 == 0 ? Array("nary".utf8) : []
                group.addTask { try await client.unary(path, [UInt8(i % 256)]) == [UInt8(i % 256)] + suffix }
            }
            for try await ok in group { #expect(ok) }
        }
        await client.close()
        await echo.stop()
    }

    @Test func oversizedMessageIsResourceExhausted() async throws {
        var limits = TransportLimits()
        limits.messageBytesMax = 1000
        let echo = try await EchoServer.start(plaintext: true, limits: limits)
        let client = try echo.client()
        do {
            _ = try await client.unary("/trailmark.v1.Echo/Unary", [UInt8](repeating: 1, count: 1001))
            Issue.record("expected RESOURCE_EXHAUSTED")
        } catch let error as RPCError {
            #expect(error.code == .resourceExhausted)
        }
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", [UInt8](repeating: 1, count: 1000)).count == 1000)
        await client.close()
        await echo.stop()
    }

    @Test func verificationIsOnByDefault() async throws {
        let echo = try await EchoServer.start(plaintext: false)
        // The system trust store does not know the development CA.
        let strict = try TransportClient(configuration: TransportClientConfiguration(host: "127.0.0.1", port: echo.port))
        await #expect(throws: (any Error).self) { try await strict.unary("/trailmark.v1.Echo/Unary", [1]) }
        let insecure = try TransportClient(configuration: TransportClientConfiguration(host: "127.0.0.1", port: echo.port, security: .insecure))
        #expect(try await insecure.unary("/trailmark.v1.Echo/Unary", [1]) == [1])
        await strict.close()
        await insecure.close()
        await echo.stop()
    }

    @Test func gracefulShutdownDrainsInFlightCalls() async throws {
        let echo = try await EchoServer.start(plaintext: false)
        let client = try echo.client()
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", [1]) == [1])  // connected
        let entered = FloodCounter.slowCallsEntered.withLock { $0 }
        async let slow = client.unary("/trailmark.v1.Echo/Slow", [7])
        while FloodCounter.slowCallsEntered.withLock({ $0 }) == entered { try await Task.sleep(for: .milliseconds(5)) }  // in flight
        await echo.server.shutdown()
        #expect(try await slow == [7])  // drained, not cut off
        await #expect(throws: RPCError.self) { try await client.unary("/trailmark.v1.Echo/Unary", [2]) }
        await client.close()
        echo.directory.remove()
    }

    @Test func reconnectsAfterServerRestart() async throws {
        let echo = try await EchoServer.start(plaintext: true)
        let client = try echo.client()
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", [1]) == [1])
        await echo.server.shutdown()
        var configuration = echo.server.configuration
        configuration.port = echo.port
        let again = TransportServer(configuration: configuration, router: EchoServer.router())
        // Another test's outgoing connection may hold the freed port as its ephemeral local
        // port for a moment (tests run in parallel): retry the bind briefly.
        for attempt in 1...50 {
            do {
                try await again.start()
                break
            } catch where attempt < 50 && "\(error)".contains("Address already in use") {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(try await client.unary("/trailmark.v1.Echo/Unary", [2]) == [2])
        await client.close()
        await again.shutdown()
        echo.directory.remove()
    }
}
