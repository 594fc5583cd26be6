import NIOCore
import TrailmarkWire

/// One HTTP/2 stream on the server: its request as it arrives, the handler task, and the
/// response bytes waiting for the peer's flow-control window.
///
/// Threading: owned by its `HTTP2ServerHandler`, touched only on that connection's event loop.
/// Its stored properties are `@exclusivity(unchecked)` (no runtime access tracking on this hot
/// path): one thread touches them, and no code holds an `inout` access to one across a call
/// that can reach this stream again (nghttp2 callbacks included).
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

    /// The stream id; changes only when a closed stream's object is reused (`reuse(id:)`).
    private(set) var id: Int32
    @exclusivity(unchecked) var kind: Kind = .pending
    @exclusivity(unchecked) var headers = HeaderFields()
    @exclusivity(unchecked) var headerListBytes = 0
    /// Regular (non-pseudo) header fields received so far.
    @exclusivity(unchecked) var headerFieldCount = 0
    /// Every regular field so far matched the connection's `RepeatedHeaderList`: `headers`
    /// is then set from that list when the block completes, not built field by field.
    @exclusivity(unchecked) var headersRepeat = true
    @exclusivity(unchecked) var method = ""
    @exclusivity(unchecked) var path = ""
    @exclusivity(unchecked) var authority: String?
    @exclusivity(unchecked) var contentType: String?
    @exclusivity(unchecked) var grpcTimeout: String?
    @exclusivity(unchecked) var grpcEncoding: String?
    /// The request carried `te: trailers` (gRPC over HTTP/2, "Requests": part of Call-Definition).
    @exclusivity(unchecked) var teTrailers = false
    @exclusivity(unchecked) var contentLength: Int?
    /// The peer sent END_STREAM.
    @exclusivity(unchecked) var requestEnded = false

    // MARK: RPC request side
    @exclusivity(unchecked) var deframer: MessageDeframer?
    /// Bytes of DATA payload that arrived since the last complete message (flow control).
    @exclusivity(unchecked) var partialMessageWireBytes = 0
    /// Unary / server-streaming: the single request message.
    @exclusivity(unchecked) var singleRequest: [UInt8]?
    /// Client-streaming / bidi: the handler's inbound sequence.
    @exclusivity(unchecked) var inbound: RPCInboundBuffer?
    @exclusivity(unchecked) var context: RPCRequestContext?
    /// Wire bytes of messages queued in `inbound` but not yet taken by the handler.
    @exclusivity(unchecked) var queuedInboundBytes = 0
    /// DATA bytes received but not yet returned to flow control (paid when the handler
    /// takes messages, or to the connection window when the stream closes).
    @exclusivity(unchecked) var owedWindowBytes = 0

    // MARK: HTTP request side
    @exclusivity(unchecked) var body: [UInt8] = []

    // MARK: Response side
    /// HEADERS submitted (so errors go into trailers, not trailers-only).
    @exclusivity(unchecked) var responseStarted = false
    /// The handler has produced its final outcome (no more writes; late completions ignored).
    @exclusivity(unchecked) var finished = false
    /// Response bytes not yet taken by nghttp2 (starts as a shared empty buffer, so a stream
    /// that never responds with a body allocates none).
    @exclusivity(unchecked) var outbound = ServerStream.emptyBuffer
    /// A single-message call's response message, queued when nothing else was written:
    /// served to nghttp2 straight from the array (5-byte prefix generated), so the common
    /// unary response allocates no buffer. Cleared once fully handed over.
    @exclusivity(unchecked) var finalMessage: [UInt8]?
    /// Bytes of prefix + `finalMessage` already handed to nghttp2.
    @exclusivity(unchecked) var finalMessageSent = 0
    /// END of body queued; `trailers` follow it (nil for plain HTTP).
    @exclusivity(unchecked) var outboundEnded = false
    @exclusivity(unchecked) var trailers: TrailerBlock?
    /// nghttp2 is waiting for `resumeData` on this stream.
    @exclusivity(unchecked) var dataDeferred = false
    /// Writers suspended until `outbound` drains below the budget.
    @exclusivity(unchecked) var drainWaiters: [CheckedContinuation<Void, any Error>] = []

    @exclusivity(unchecked) var task: Task<Void, Never>?
    @exclusivity(unchecked) var deadlineTimer: Scheduled<Void>?

    static let emptyBuffer = ByteBuffer()

    init(id: Int32) {
        self.id = id
    }

    /// Returns a closed stream's object to the state `init` gives (all but `id`), so it can be
    /// reused (`reuse(id:)`). Only for an object nothing else references (the caller checks
    /// `isKnownUniquelyReferenced`), after `tearDown`. Done at close, while the object is still
    /// in cache.
    func recycle() {
        kind = .pending
        headers = HeaderFields()
        headerListBytes = 0
        headerFieldCount = 0
        headersRepeat = true
        method = ""
        path = ""
        authority = nil
        contentType = nil
        grpcTimeout = nil
        grpcEncoding = nil
        teTrailers = false
        contentLength = nil
        requestEnded = false
        deframer = nil
        partialMessageWireBytes = 0
        singleRequest = nil
        inbound = nil
        context = nil
        queuedInboundBytes = 0
        owedWindowBytes = 0
        if !body.isEmpty { body = [] }
        responseStarted = false
        finished = false
        outbound = ServerStream.emptyBuffer
        finalMessage = nil
        finalMessageSent = 0
        outboundEnded = false
        trailers = nil
        dataDeferred = false
        drainWaiters = []
        task = nil
        deadlineTimer = nil
    }

    /// Gives a recycled object (see `recycle`) its new stream id.
    func reuse(id: Int32) { self.id = id }

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
