/// A registered RPC implementation, by call shape. Messages are raw bodies (the services
/// layer encodes/decodes them with TrailmarkWire); failures are thrown (`RPCError` for a
/// chosen status, anything else per `RPCStatusTable`).
public enum RPCHandler: Sendable {
    /// One request message, one response message.
    case unary(@Sendable (_ request: [UInt8], _ context: RPCRequestContext) async throws -> [UInt8])
    /// One request message, one response message, computed without suspending. It runs inline
    /// on the connection's event loop as soon as the request ends (no task is created), so it
    /// must return within microseconds and never block; deadlines and cancellation cannot
    /// interrupt it (it finishes before either could fire). Thrown errors map as for `unary`.
    case synchronousUnary(@Sendable (_ request: [UInt8], _ context: RPCRequestContext) throws -> [UInt8])
    /// A stream of request messages, one response message.
    case clientStreaming(@Sendable (_ requests: RPCMessageStream, _ context: RPCRequestContext) async throws -> [UInt8])
    /// One request message, a stream of response messages.
    case serverStreaming(@Sendable (_ request: [UInt8], _ context: RPCRequestContext, _ responses: RPCMessageWriter) async throws -> Void)
    /// Streams both ways, interleaved as the handler likes.
    case bidirectional(@Sendable (_ requests: RPCMessageStream, _ context: RPCRequestContext, _ responses: RPCMessageWriter) async throws -> Void)

    /// Whether the handler starts before the request stream ends (it consumes a stream).
    var streamsRequests: Bool {
        switch self {
        case .unary, .synchronousUnary, .serverStreaming: false
        case .clientStreaming, .bidirectional: true
        }
    }
}
