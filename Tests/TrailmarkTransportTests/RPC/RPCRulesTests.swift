import NIOCore
import Testing
@testable import TrailmarkTransport
import TrailmarkWire

/// Pure pieces of the gRPC wire rules: timeouts, message encoding, the status table,
/// routing and the control-frame budget.
@Suite struct RPCRulesTests {
    @Test(arguments: [
        ("1H", Duration.seconds(3600)), ("2M", .seconds(120)), ("30S", .seconds(30)), ("250m", .milliseconds(250)),
        ("7u", .microseconds(7)), ("99999999n", .nanoseconds(99_999_999)),
    ])
    func grpcTimeoutParses(text: String, expected: Duration) {
        #expect(GRPCTimeout.parse(text) == expected)
    }

    @Test(arguments: ["", "S", "10", "123456789S", "10s", "-1S", "1.5S", "１S"])
    func malformedGRPCTimeoutIsRejected(text: String) {
        #expect(GRPCTimeout.parse(text) == nil)
    }

    @Test func grpcTimeoutEncodingRoundsUpAndFitsEightDigits() {
        for duration: Duration in [.nanoseconds(1), .milliseconds(1500), .seconds(86_400 * 400), .microseconds(123_456_789)] {
            let text = GRPCTimeout.encode(duration)
            #expect(text.count <= 9)
            let parsed = GRPCTimeout.parse(text)!  // encode always produces a valid value
            #expect(parsed >= duration)
        }
        #expect(GRPCTimeout.encode(.milliseconds(1500)) == "1500000u")
    }

    /// The server's single-chunk fast path takes only what the deframer would return as one
    /// whole message; a bad flag, an oversized length, a short or a longer chunk go to the deframer.
    @Test func wholeMessageFastPathMatchesTheDeframer() throws {
        let cases: [[UInt8]] = [
            [0, 0, 0, 0, 3, 7, 8, 9], [0, 0, 0, 0, 0], [1, 0, 0, 0, 1, 5], [2, 0, 0, 0, 0],
            [0, 0, 0, 0, 9, 1, 2, 3], [0, 0, 0, 0, 1, 1, 0], [0, 0, 0], [0, 0, 0, 0, 17] + Array(repeating: 1, count: 17),
            [0, 0xFF, 0xFF, 0xFF, 0xFF, 1],
        ]
        for bytes in cases {
            let fast = bytes.withUnsafeBytes { HTTP2ServerHandler.wholeMessageLength($0, messageBytesMax: 16) }
            var deframer = MessageDeframer(messageBytesMax: 16)
            deframer.append(bytes)
            let message = try? deframer.next()
            let whole = (message ?? nil).flatMap { deframer.bufferedBytes == 0 ? $0 : nil }
            #expect(fast == whole?.count, "\(bytes)")
            if let fast { #expect(Array(bytes[(bytes.count - fast)...]) == whole) }
        }
    }

    @Test func grpcMessagePercentEncoding() {
        let text = "naïve 100% sure\n"
        let encoded = PercentEncoding.encode(text)
        #expect(encoded == "na%C3%AFve 100%25 sure%0A")
        #expect(PercentEncoding.decode(encoded) == text)
        #expect(PercentEncoding.decode("bad %zz and %4") == "bad %zz and %4")
    }

    @Test func statusTableMapsEveryErrorKind() {
        #expect(RPCStatusTable.rpcError(for: RPCError(.notFound, "x")).code == .notFound)
        #expect(RPCStatusTable.rpcError(for: WireError(.messageTooLarge, field: "", "big")).code == .resourceExhausted)
        #expect(RPCStatusTable.rpcError(for: WireError(.compressedMessage, field: "", "gz")).code == .unimplemented)
        #expect(RPCStatusTable.rpcError(for: WireError(.truncated, field: "a", "short")).code == .invalidArgument)
        #expect(RPCStatusTable.rpcError(for: CancellationError()).code == .cancelled)
        #expect(RPCStatusTable.rpcError(for: TransportError(.timeout, "late")).code == .deadlineExceeded)
        struct Secret: Error {}
        let unknown = RPCStatusTable.rpcError(for: Secret())
        #expect(unknown.code == .unknown)
        #expect(!unknown.message.contains("Secret"))
        #expect(RPCStatusTable.httpStatus(for: .resourceExhausted) == 429)
        #expect(RPCStatusTable.httpStatus(for: .unauthenticated) == 401)
        #expect(RPCStatusTable.statusCode(forHTTPStatus: 503) == .unavailable)
    }

    @Test func routerPrefersLongestPrefixAndReportsMethodMismatch() {
        var router = TransportRouter()
        router.route("GET", "/v1/") { _ in HTTPResponse(status: 200, body: [1]) }
        router.route("GET", "/v1/users/") { _ in HTTPResponse(status: 200, body: [2]) }
        router.route(nil, "/metrics") { _ in HTTPResponse(status: 200, body: [3]) }
        guard case .route(let users) = router.httpRoute(method: "GET", path: "/v1/users/u1") else { Issue.record("no match"); return }
        #expect(users.pathPrefix == "/v1/users/")
        guard case .methodNotAllowed = router.httpRoute(method: "POST", path: "/v1/users/u1") else { Issue.record("expected 405"); return }
        guard case .notFound = router.httpRoute(method: "GET", path: "/v2") else { Issue.record("expected 404"); return }
        guard case .route = router.httpRoute(method: "OPTIONS", path: "/metrics") else { Issue.record("any method"); return }
        #expect(TransportRouter.isRPCPath("/trailmark.v1.Ingest/Track"))
        #expect(!TransportRouter.isRPCPath("/v1/track"))
        #expect(!TransportRouter.isRPCPath("/trailmark.v1.Ingest/Track/extra"))
    }

    @Test func controlFrameBudgetRefillsWithTheClock() {
        var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var budget = ControlFrameBudget(burst: 3, perSecond: 2, now: { now })
        var admitted: [Bool] = (0..<4).map { _ in budget.admit() }
        #expect(admitted == [true, true, true, false])
        now = now + .milliseconds(500)  // one token back
        admitted = (0..<2).map { _ in budget.admit() }
        #expect(admitted == [true, false])
        now = now + .seconds(10)  // capped at the burst
        admitted = (0..<4).map { _ in budget.admit() }
        #expect(admitted == [true, true, true, false])
    }
}
