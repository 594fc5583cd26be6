import NIOCore
import TrailmarkWire

/// The final outcome of a call as the client saw it.
public struct RPCStatus: Sendable {
    public var code: StatusCode
    public var message: String
    /// Response headers (lower-case names, pseudo-headers excluded).
    public var headers: HeaderFields
    /// Trailers other than `grpc-status` / `grpc-message`.
    public var trailers: HeaderFields

    /// The status as an error, or nil for OK.
    public var error: RPCError? { code == .ok ? nil : RPCError(code, message, trailers: trailers) }
}

/// One client stream: request bytes waiting for the server's window, response messages
/// waiting for the caller. Owned by `HTTP2ClientHandler`; event-loop confined.
final class ClientStream {
    var id: Int32 = 0
    var outbound = ByteBuffer()
    var outboundEnded = false
    var dataDeferred = false
    var drainWaiters: [CheckedContinuation<Void, any Error>] = []
    var deframer: MessageDeframer
    let inbound: RPCInboundBuffer
    var queuedInboundBytes = 0
    var owedWindowBytes = 0

    var responseHeadersDone = false
    var httpStatus: Int?
    var contentType: String?
    var grpcStatus: Int?
    var grpcMessage: String?
    var headers = HeaderFields()
    var trailers = HeaderFields()
    /// The first header block carried `grpc-status`: it was the trailers (trailers-only response).
    var trailersOnly = false
    var failure: RPCError?
    var statusWaiters: [CheckedContinuation<RPCStatus, Never>] = []
    var finalStatus: RPCStatus?
    var deadlineTimer: Scheduled<Void>?
    /// A plain HTTP request: the response body is collected whole (up to `rawBodyBytesMax`)
    /// instead of being split into gRPC messages.
    var raw = false
    var rawBody: [UInt8] = []
    var httpStatusWaiters: [CheckedContinuation<HTTPResponse, any Error>] = []

    init(messageBytesMax: Int, inbound: RPCInboundBuffer) {
        self.deframer = MessageDeframer(messageBytesMax: messageBytesMax)
        self.inbound = inbound
    }

    /// Settles the call: the status from trailers (or trailers-only headers), else from the
    /// HTTP status, else from how the stream ended.
    func settle(closeError: RPCError?) {
        guard finalStatus == nil else { return }
        deadlineTimer?.cancel()
        let status: RPCStatus
        if raw {
            settleRaw(closeError: closeError)
            return
        }
        if let failure {
            status = RPCStatus(code: failure.code, message: failure.message, headers: headers, trailers: failure.trailers)
        } else if let code = grpcStatus {
            status = RPCStatus(code: StatusCode(rawValue: code) ?? .unknown, message: grpcMessage ?? "",
                               headers: trailersOnly ? HeaderFields() : headers, trailers: trailersOnly ? headers : trailers)
        } else if let closeError {
            status = RPCStatus(code: closeError.code, message: closeError.message, headers: headers, trailers: trailers)
        } else if let httpStatus, httpStatus != 200 {
            status = RPCStatus(code: RPCStatusTable.statusCode(forHTTPStatus: httpStatus), message: "HTTP status \(httpStatus)", headers: headers, trailers: trailers)
        } else {
            status = RPCStatus(code: .internalError, message: "the response ended without grpc-status", headers: headers, trailers: trailers)
        }
        finalStatus = status
        if status.code == .ok && !deframer.isAtMessageBoundary {
            finalStatus?.code = .internalError
            finalStatus?.message = "the response ended inside a message"
        }
        inbound.finish(finalStatus?.error)
        let waiters = statusWaiters
        statusWaiters.removeAll()
        for waiter in waiters { waiter.resume(returning: finalStatus!) }  // set just above
        let writers = drainWaiters
        drainWaiters.removeAll()
        for writer in writers { writer.resume(throwing: finalStatus?.error ?? RPCError(.cancelled, "the call ended")) }
    }

    private func settleRaw(closeError: RPCError?) {
        let outcome: Result<HTTPResponse, any Error>
        if let error = failure ?? closeError {
            outcome = .failure(error)
        } else if let httpStatus {
            var all = headers
            for field in trailers { all.addLowercased(field.name, field.value) }
            outcome = .success(HTTPResponse(status: httpStatus, headers: all, body: rawBody))
        } else {
            outcome = .failure(RPCError(.internalError, "the response had no :status"))
        }
        finalStatus = RPCStatus(code: .ok, message: "", headers: headers, trailers: trailers)
        let waiters = httpStatusWaiters
        httpStatusWaiters.removeAll()
        for waiter in waiters { waiter.resume(with: outcome) }
        inbound.finish(nil)
    }
}
