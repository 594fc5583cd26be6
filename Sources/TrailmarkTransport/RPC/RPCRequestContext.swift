/// What a handler knows about the call besides its messages.
public struct RPCRequestContext: Sendable {
    /// The request path, `/trailmark.v1.<Service>/<Method>`.
    public var path: String
    /// Request headers (lower-case names), e.g. `authorization`, `user-agent`; pseudo-headers excluded.
    public var headers: HeaderFields
    /// The peer's address, `ip:port` (or `[ip]:port` for IPv6).
    public var peer: String
    /// When the caller stops waiting (`grpc-timeout`, RFC-free gRPC rule); nil: no deadline.
    /// The transport cancels the handler's task and answers DEADLINE_EXCEEDED at this instant.
    public var deadline: ContinuousClock.Instant?

    public init(path: String, headers: HeaderFields, peer: String, deadline: ContinuousClock.Instant?) {
        self.path = path
        self.headers = headers
        self.peer = peer
        self.deadline = deadline
    }
}
