/// What a handler knows about the call besides its messages.
public struct RPCRequestContext: Sendable {
    /// The request path, `/trailmark.v1.<Service>/<Method>`.
    public var path: String
    /// Request headers (lower-case names), e.g. `authorization`, `user-agent`; pseudo-headers excluded.
    public var headers: HeaderFields
    /// The peer's address, `ip:port` (or `[ip]:port` for IPv6).
    public var peer: String
    /// The deadline as an offset from `Self.epoch`: `Duration` has a fixed layout while
    /// `ContinuousClock.Instant` is resilient, so storing the offset keeps this struct's
    /// copies inline (no value-witness calls per call on the hot path).
    private var deadlineOffset: Duration?

    /// Reference point for `deadlineOffset`; any fixed instant of this process works.
    private static let epoch = ContinuousClock.now

    /// When the caller stops waiting (`grpc-timeout`, RFC-free gRPC rule); nil: no deadline.
    /// The transport cancels the handler's task and answers DEADLINE_EXCEEDED at this instant.
    public var deadline: ContinuousClock.Instant? {
        get { deadlineOffset.map { Self.epoch + $0 } }
        set { deadlineOffset = newValue.map { Self.epoch.duration(to: $0) } }
    }

    public init(path: String, headers: HeaderFields, peer: String, deadline: ContinuousClock.Instant?) {
        self.path = path
        self.headers = headers
        self.peer = peer
        self.deadlineOffset = deadline.map { Self.epoch.duration(to: $0) }
    }
}
