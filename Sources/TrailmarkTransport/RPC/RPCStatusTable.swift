import TrailmarkWire

/// The one table that maps Swift errors to gRPC statuses, and gRPC statuses to HTTP
/// statuses (gRPC's `doc/http-grpc-status-mapping.md`, server side).
///
/// | error thrown by a handler / seen by the transport | status |
/// |---|---|
/// | `RPCError` | its own `code`, `message`, `trailers` |
/// | `WireError` | `WireError.statusCode` (oversize → RESOURCE_EXHAUSTED, compressed → UNIMPLEMENTED, else INVALID_ARGUMENT) |
/// | `CancellationError` | CANCELLED |
/// | `TransportError` `.timeout` | DEADLINE_EXCEEDED |
/// | `TransportError` `.connectionClosed` | UNAVAILABLE |
/// | `TransportError` other | INTERNAL |
/// | anything else | UNKNOWN (the error's description is not sent; it may hold secrets) |
public enum RPCStatusTable {
    /// The status a handler's thrown `error` ends its RPC with.
    public static func rpcError(for error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: error
        case let error as WireError: RPCError(error.statusCode, error.description)
        case is CancellationError: RPCError(.cancelled, "the call was cancelled")
        case let error as TransportError:
            switch error.code {
            case .timeout: RPCError(.deadlineExceeded, error.message)
            case .connectionClosed: RPCError(.unavailable, error.message)
            default: RPCError(.internalError, error.message)
            }
        default: RPCError(.unknown, "the handler failed")
        }
    }

    /// The HTTP status the JSON gateway answers for a gRPC status.
    public static func httpStatus(for code: StatusCode) -> Int {
        switch code {
        case .ok: 200
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .resourceExhausted: 429
        case .cancelled: 499
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        default: 500
        }
    }

    /// The gRPC status a client reports for a response that was not a gRPC response
    /// (HTTP status other than 200, gRPC's client-side table).
    public static func statusCode(forHTTPStatus status: Int) -> StatusCode {
        switch status {
        case 400: .internalError
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .unimplemented
        case 429, 502, 503, 504: .unavailable
        default: .unknown
        }
    }
}
