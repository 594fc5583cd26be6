import NIOCore
import TrailmarkWire

/// One HTTP/2 stream on the server: its request as it arrives, the handler task, and the
/// response bytes waiting for the peer's flow-control window.
///
/// Threading: owned by its `HTTP2ServerHandler`, touched only on that connection's event loop.
///
///     idle ──HEADERS──▶ receivingHeaders ──END_HEADERS──▶ routed(rpc | http | rejected)
///     routed ──(handler returns / fails / deadline)──▶ responding ──last DATA/trailers──▶ closed
///     any ──RST_STREAM / connection gone──▶ closed (task cancelled, writers failed)
final class ServerStream {
    enum Kind {
        /// Header block still arriving.
        case pending
        /// An RPC; `handler` runs once its start condition holds.
        case rpc(RPCHandler)
        /// A plain HTTP route collecting its body.
        case http(HTTPRoute)
        /// Answered already (error, 404, 413, …); further DATA is consumed and dropped.
        case answered
    }

    let id: Int32
    var kind: Kind = .pending
    var headers = HeaderFields()
    var headerListBytes = 0
    var method = ""
    var path = ""
    var authority: String?
    var contentType: String?
    var grpcTimeout: String?
    var grpcEncoding: String?
    /// The request carried `te: trailers` (gRPC over HTTP/2, "Requests": part of Call-Definition).
    var teTrailers = false
    var contentLength: Int?
    /// The peer sent END_STREAM.
    var requestEnded = false

    // MARK: RPC request side
    var deframer: MessageDeframer?
    /// Bytes of DATA payload that arrived since the last complete message (flow control).
    var partialMessageWireBytes = 0
    /// Unary / server-streaming: the single request message.
    var singleRequest: [UInt8]?
    /// Client-streaming / bidi: the handler's inbound sequence.
    var inbound: RPCInboundBuffer?
    var context: RPCRequestContext?
    /// Wire bytes of messages queued in `inbound` but not yet taken by the handler.
    var queuedInboundBytes = 0
    /// DATA bytes received but not yet returned to flow control (paid when the handler
    /// takes messages, or to the connection window when the stream closes).
    var owedWindowBytes = 0

    // MARK: HTTP request side
    var body: [UInt8] = []

    // MARK: Response side
    /// HEADERS submitted (so errors go into trailers, not trailers-only).
    var responseStarted = false
    /// The handler has produced its final outcome (no more writes; late completions ignored).
    var finished = false
    /// Response bytes not yet taken by nghttp2 (starts as a shared empty buffer, so a stream
    /// that never responds with a body allocates none).
    var outbound = ServerStream.emptyBuffer
    /// A single-message call's response message, queued when nothing else was written:
    /// served to nghttp2 straight from the array (5-byte prefix generated), so the common
    /// unary response allocates no buffer. Cleared once fully handed over.
    var finalMessage: [UInt8]?
    /// Bytes of prefix + `finalMessage` already handed to nghttp2.
    var finalMessageSent = 0
    /// END of body queued; `trailers` follow it (nil for plain HTTP).
    var outboundEnded = false
    var trailers: TrailerBlock?
    /// nghttp2 is waiting for `resumeData` on this stream.
    var dataDeferred = false
    /// Writers suspended until `outbound` drains below the budget.
    var drainWaiters: [CheckedContinuation<Void, any Error>] = []

    var task: Task<Void, Never>?
    var deadlineTimer: Scheduled<Void>?

    static let emptyBuffer = ByteBuffer()

    init(id: Int32) {
        self.id = id
        headers.reserveCapacity(12)
    }

    var isRPC: Bool { if case .rpc = kind { true } else { false } }

    /// Called when the stream closes for any reason: stop the handler and wake writers.
    func tearDown(reason: RPCError) {
        // A finished call's task has returned or was cancelled when it was finished early.
        if !finished { task?.cancel() }
        task = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
        inbound?.finish(reason)
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: reason) }
        finished = true
    }
}
