import TrailmarkWire

/// The failure of one RPC: a gRPC status code, a message for humans, and optional extra
/// trailers (for example `retry-after-ms` on RESOURCE_EXHAUSTED / UNAVAILABLE).
///
/// Handlers throw it to end a call with that status; clients receive it for every non-OK
/// status. Any other error a handler throws is mapped by `RPCStatusTable` (the one table).
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    /// Extra trailer fields sent after `grpc-status` / `grpc-message` (lower-case names;
    /// names starting with `grpc-` or `:` are reserved and dropped).
    public var trailers: HeaderFields

    public init(_ code: StatusCode, _ message: String, trailers: HeaderFields = HeaderFields()) {
        self.code = code
        self.message = message
        self.trailers = trailers
    }

    public var description: String { "\(code): \(message)" }
}
