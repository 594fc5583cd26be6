import Foundation
import Synchronization
import Testing
import TrailmarkSDK
import TrailmarkWire

/// The SDK against a real server process. Waits poll for what the server has stored (the
/// engine indexes asynchronously); nothing asserts on elapsed time.
@Suite(.serialized) struct SDKServerTests {
    @Test func batchesGoOutWhenFlushAtIsReached() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        var options = TrailmarkOptions()
        options.flushAt = 10
        options.flushInterval = .seconds(3600)
        let sdk = try Trailmark(host: server.host, key: key, options: options)
        var ids: [String] = []
        for i in 0..<25 { ids.append(sdk.track("step", properties: ["i": .int(Int64(i))])) }
        let stored = try await server.waitForEvents(key: key, count: 20)
        #expect(stored.count == 20)
        #expect(Set(stored) == Set(ids.prefix(20)))
        #expect(sdk.stats.queued == 5)
        // The server can show a batch before the SDK has handled its acknowledgement.
        #expect(try await eventually { sdk.stats.batches == 2 })
        try await sdk.flush()
        #expect(Set(try await server.waitForEvents(key: key, count: 25)) == Set(ids))
        await sdk.shutdown()
    }

    @Test func theIntervalFlushesASmallQueue() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        var options = TrailmarkOptions()
        options.flushAt = 1000
        options.flushInterval = .milliseconds(100)
        let sdk = try Trailmark(host: server.host, key: key, options: options)
        let ids = (0..<3).map { _ in sdk.track("tick") }
        #expect(Set(try await server.waitForEvents(key: key, count: 3)) == Set(ids))
        #expect(sdk.stats.queued == 0)
        await sdk.shutdown()
    }

    @Test func overflowDropsTheOldestAndCountsThem() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        var options = TrailmarkOptions()
        options.flushAt = 1000
        options.maxQueueSize = 5
        options.flushInterval = .seconds(3600)
        let sdk = try Trailmark(host: server.host, key: key, options: options)
        let ids = (0..<12).map { _ in sdk.track("overflow") }
        #expect(sdk.stats.dropped == 7)
        #expect(sdk.stats.queued == 5)
        try await sdk.flush()
        let stored = try await server.waitForEvents(key: key, count: 5)
        #expect(Set(stored) == Set(ids.suffix(5)))
        await sdk.shutdown()
    }

    @Test func shutdownFlushesEverything() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        var options = TrailmarkOptions()
        options.flushAt = 1000
        options.flushInterval = .seconds(3600)
        let sdk = try Trailmark(host: server.host, key: key, options: options)
        sdk.identify(userID: "user-1", traits: ["plan": .string("pro")])
        let ids = (0..<30).map { _ in sdk.track("page_view") }
        await sdk.shutdown()
        #expect(Set(try await server.waitForEvents(key: key, count: 30)) == Set(ids))
        sdk.track("after")
        #expect(sdk.stats.queued == 0)
    }

    @Test(arguments: [TrailmarkOptions.Delivery.unary, .stream])
    func killedServerMidRunStoresEveryEventExactlyOnce(delivery: TrailmarkOptions.Delivery) async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        var options = TrailmarkOptions()
        options.flushAt = 20
        options.flushInterval = .milliseconds(50)
        options.delivery = delivery
        options.retry = RetryPolicy(base: .milliseconds(20), cap: .milliseconds(300), attemptsMax: nil)
        let sdk = try Trailmark(host: server.host, key: key, options: options)
        var ids: [String] = []
        for round in 0..<3 {
            for i in 0..<200 {
                ids.append(sdk.track("round\(round)", properties: ["i": .int(Int64(i))]))
                if i % 50 == 0 { await Task.yield() }
            }
            server.kill9()  // batches are in flight or queued: their acks are lost
            try await server.start()
        }
        try await sdk.flush()
        let stored = try await server.waitForEvents(key: key, count: ids.count)
        #expect(stored.count == ids.count, "every event stored exactly once")
        #expect(Set(stored) == Set(ids))
        #expect(sdk.stats.dropped == 0)
        await sdk.shutdown()
    }

    @Test func refusedBatchesAreReportedNotRetried() async throws {
        let server = try TestServer()
        _ = try server.createKey()
        try await server.start()
        defer { server.stop() }
        let failures = Mutex<[TrailmarkFailure]>([])
        var options = TrailmarkOptions()
        options.onError = { failure in failures.withLock { $0.append(failure) } }
        let sdk = try Trailmark(host: server.host, key: "sk_live_abcdefgh_notarealsecret", options: options)
        let id = sdk.track("x")
        await #expect(throws: TrailmarkError.self) { try await sdk.flush() }
        let reported = failures.withLock { $0 }
        #expect(reported.count == 1)
        #expect(reported.first?.error.code == .unauthenticated)
        #expect(reported.first?.eventIDs == [id])
        #expect(sdk.stats.retries == 0)
        #expect(sdk.stats.rejected == 1)
        await sdk.shutdown()
    }

    @Test func queryClientReadsWhatTheSDKWrote() async throws {
        let (server, key) = try await TestServer.started()
        defer { server.stop() }
        let sdk = try Trailmark(host: server.host, key: key)
        for user in 0..<4 {
            sdk.reset()
            sdk.track("visit", url: "https://shop.example/?utm_source=google&utm_medium=cpc")
            if user < 2 {
                sdk.identify(userID: "u\(user)")
                sdk.track("signup")
            }
        }
        await sdk.shutdown()
        _ = try await server.waitForEvents(key: key, count: 6)
        let query = try TrailmarkQueryClient(host: server.host, key: key, timeout: .seconds(10))
        let now = Clock.nowMicros()
        let funnel = try await query.funnel(FunnelQuery(from: now - 3_600_000_000, to: now + 3_600_000_000,
                                                        steps: [.init(event: "visit"), .init(event: "signup")], unit: .anonymous))
        #expect(funnel.groups.first?.steps.map(\.reached) == [4, 2])
        let stats = try await query.stats(StatsQuery(metric: .count, events: ["visit"]))
        #expect(stats.rows.first?.value == 4)
        let sources = try await query.sources(SourcesQuery())
        #expect(sources.rows.contains { $0.source == "google" && $0.medium == "paid" })
        let user = try await query.user(UserQuery(userID: "u0"))
        #expect(user.anonymousIDs.count == 1)
        var rows = 0
        for try await _ in query.events(EventsQuery(from: now - 3_600_000_000, to: now + 3_600_000_000, event: "visit", limit: 3)) { rows += 1 }
        #expect(rows == 4)  // EventsStream sends every matching row, in pages of at most `limit`
        await query.close()
    }
}

/// Polls `condition` every 20 ms, at most `attempts` times; true once it holds. For state the
/// SDK updates after an acknowledgement, which may arrive after the server shows the data.
func eventually(attempts: Int = 500, _ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<attempts {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
