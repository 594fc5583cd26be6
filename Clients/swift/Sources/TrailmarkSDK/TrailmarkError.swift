import TrailmarkTransport
import TrailmarkWire

/// An error of the SDK or the query client: the gRPC status `code` the server (or the
/// transport) gave, and its message — for server errors this starts with the API.md code
/// (`invalid_event: events[3].timestamp ...`).
public struct TrailmarkError: Error, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    /// Server retry hint (`grpc-retry-pushback-ms`), when one was sent.
    public var retryAfter: Duration?

    public init(_ code: StatusCode, _ message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Converts whatever a transport call threw: an `RPCError` keeps its status and hint, a
    /// wire decoding error of a response is INTERNAL, anything else (socket, TLS) UNAVAILABLE.
    public init(wrapping error: any Error) {
        if let error = error as? TrailmarkError {
            self = error
        } else if let rpc = error as? RPCError {
            var hint: Duration?
            if let text = rpc.trailers["grpc-retry-pushback-ms"], let ms = Int64(text), ms >= 0 { hint = .milliseconds(ms) }
            self.init(rpc.code, rpc.message, retryAfter: hint)
        } else if let wire = error as? WireError {
            self.init(.internalError, "cannot decode the response: \(wire)")
        } else {
            self.init(.unavailable, "\(error)")
        }
    }

    /// True for the statuses a client may retry with the same event ids: UNAVAILABLE,
    /// RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED (and connection loss, which the
    /// transport reports as UNAVAILABLE). Never INVALID_ARGUMENT, UNAUTHENTICATED,
    /// PERMISSION_DENIED or anything else.
    public var isRetryable: Bool {
        code == .unavailable || code == .resourceExhausted || code == .deadlineExceeded || code == .aborted
    }

    public var description: String { "\(code): \(message)" }
}
