import CNGHTTP2
import Logging
import NIOCore
import TrailmarkWire

/// The HTTP/2 server side of one connection: plaintext bytes in, an nghttp2 server session,
/// RPC and plain-HTTP streams dispatched to handler tasks, frames out.
///
/// Threading: lives on its channel's event loop; tasks reach it only through `onLoop`,
/// which hops to that loop (`NIOLoopBound` guards the reference). Stored properties are
/// `@exclusivity(unchecked)`: one thread touches them, and the only `inout` access held across
/// a re-entrant call is `outputBuffer` during `send`, which no nghttp2 callback touches.
///
/// Backpressure:
/// - out: frames are produced (`mem_send`) only while the channel is writable, 64 KiB at a
///   time; `channelWritabilityChanged` resumes. Response bodies come from per-stream
///   buffers through deferred data providers; writers suspend above
///   `TransportLimits.streamOutboundBytesMax`.
/// - in: socket reads stop while the channel is not writable; request DATA is returned to
///   flow control (`consume`) only as handlers take messages, so the peer's windows bound
///   what is buffered.
final class HTTP2ServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let shared: ServerShared
    @exclusivity(unchecked) var session: NGHTTP2Session?
    @exclusivity(unchecked) var streams = StreamTable()
    /// Cache for `stream(_:)`; cleared when that stream closes.
    @exclusivity(unchecked) var lastStream: ServerStream?
    /// Closed streams' objects, reused by the next streams (at most `spareStreamsMax`, about
    /// 0.8 KiB each): a busy connection opens and closes a stream per call, and allocating,
    /// initialising and freeing the object and its header array was about 4% of the server's
    /// time in the echo benchmark. Emptied when the connection closes.
    @exclusivity(unchecked) var spareStreams: [ServerStream] = []
    static let spareStreamsMax = 32
    @exclusivity(unchecked) var context: ChannelHandlerContext?
    @exclusivity(unchecked) var peer = "unknown"
    @exclusivity(unchecked) var loopBound: NIOLoopBound<HTTP2ServerHandler>?
    /// Inside an nghttp2 call: no re-entry, no close (see `NGHTTP2SessionDelegate`).
    @exclusivity(unchecked) var inSession = false
    @exclusivity(unchecked) private var flushScheduled = false
    @exclusivity(unchecked) private var outputBuffer = ByteBuffer()
    @exclusivity(unchecked) private var readPending = false
    /// Frames were received since the last `channelReadComplete` (which pumps the answers).
    @exclusivity(unchecked) private var pumpAfterRead = false
    @exclusivity(unchecked) private var closed = false
    @exclusivity(unchecked) var draining = false
    /// The final GOAWAY (last processed stream) is queued; sent at most once.
    @exclusivity(unchecked) private var finalGoAwaySent = false
    @exclusivity(unchecked) var budget: ControlFrameBudget
    @exclusivity(unchecked) private var idleTimer: RepeatedTask?
    @exclusivity(unchecked) private var bytesReadSinceIdleCheck = 0
    static let writeChunkBytes = 64 << 10
    /// `shared.limits.headerListBytesMax`, read once (checked for every header field).
    let headerListBytesMax: Int
    /// The last request path routed and its RPC handler (nil: not an RPC path). The router
    /// is immutable, so a repeated `:path` reuses this String and skips the lookup.
    @exclusivity(unchecked) var recentPath = ""
    @exclusivity(unchecked) var recentPathHandler: RPCHandler?
    @exclusivity(unchecked) var recentPathRouted = false
    /// The regular header fields of the last request that built its own list (bounded).
    @exclusivity(unchecked) var repeatedHeaders = RepeatedHeaderList()
    /// Strings of header fields seen on earlier requests of this connection (bounded).
    @exclusivity(unchecked) var recentHeaders = HeaderStringCache()

    init(shared: ServerShared) {
        self.shared = shared
        self.headerListBytesMax = Int(shared.limits.headerListBytesMax)
        self.budget = ControlFrameBudget(burst: shared.limits.controlFramesBurst, perSecond: shared.limits.controlFramesPerSecond)
    }

    var eventLoop: any EventLoop { context!.eventLoop }  // set in handlerAdded, used only after

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        peer = context.channel.remoteAddress?.peerDescription ?? "unknown"
        loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let limits = shared.limits
        let settings = NGHTTP2Session.Settings(
            maxConcurrentStreams: limits.concurrentStreamsMax, initialWindowBytes: limits.streamWindowBytes,
            connectionWindowBytes: limits.connectionWindowBytes, maxFrameBytes: limits.frameBytesMax,
            maxHeaderListBytes: limits.headerListBytesMax)
        do {
            session = try NGHTTP2Session(role: .server, settings: settings, resetBurst: limits.streamResetBurst,
                                         resetRatePerSecond: limits.streamResetsPerSecond, delegate: self)
        } catch {
            shared.logger.error("HTTP/2 session setup failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            context.close(promise: nil)
            return
        }
        let idle = TimeAmount(shared.timeouts.idle)
        let bound = loopBound!  // set just above
        idleTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: idle, delay: idle) { _ in bound.value.checkIdle() }
        pump()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutDownStreams()
        idleTimer?.cancel()
        self.context = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !closed else { return }
        let buffer = unwrapInboundIn(data)
        bytesReadSinceIdleCheck += buffer.readableBytes
        inSession = true
        let error = session.receive(buffer)
        inSession = false
        guard let error else {
            // Answered at the end of the read burst (`channelReadComplete`): one write and
            // flush for all the frames of up to `maxMessagesPerRead` reads.
            pumpAfterRead = true
            return
        }
        // Fatal for the connection (bad preface, flood, protocol error): GOAWAY, then close.
        shared.logger.warning("HTTP/2 connection error", metadata: ["peer": "\(peer)", "error": "\(error.message)"])
        session.terminate(errorCode: NGHTTP2_PROTOCOL_ERROR.rawValue)
        pump()
        close()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pumpAfterRead {
            pumpAfterRead = false
            pump()
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            pump()
            if readPending {
                readPending = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        shutDownStreams()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.logger.warning("connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
        close()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionDrainEvent {
            beginDrain()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Output

    /// Runs `body` with this handler on its event loop (inline when already there).
    static func onLoop(_ bound: NIOLoopBound<HTTP2ServerHandler>, _ loop: any EventLoop,
                       _ body: @escaping @Sendable (HTTP2ServerHandler) -> Void) {
        if loop.inEventLoop {
            body(bound.value)
        } else {
            loop.execute { body(bound.value) }
        }
    }

    /// Sends queued frames soon, coalescing requests made during one loop tick.
    func scheduleFlush() {
        guard !inSession else { return }  // the caller of the session call pumps afterwards
        guard !flushScheduled, let bound = loopBound else { return }
        flushScheduled = true
        eventLoop.execute {
            let handler = bound.value
            handler.flushScheduled = false
            handler.pump()
        }
    }

    /// Moves frames from nghttp2 to the channel while it is writable, then closes the
    /// connection if the session is done.
    func pump() {
        guard let context, let session, !closed, !inSession else { return }
        var wrote = false
        while context.channel.isWritable {
            outputBuffer.clear()  // fresh storage if the previous write is still referenced
            inSession = true
            let error = session.send(into: &outputBuffer, limitBytes: Self.writeChunkBytes)
            inSession = false
            let buffer = outputBuffer
            if buffer.readableBytes > 0 {
                context.write(wrapOutboundOut(buffer), promise: nil)
                wrote = true
            }
            if let error {
                shared.logger.warning("HTTP/2 send failed", metadata: ["peer": "\(peer)", "error": "\(error.message)"])
                break
            }
            if buffer.readableBytes < Self.writeChunkBytes { break }
            context.flush()
            wrote = false
        }
        if wrote { context.flush() }
        if outputBuffer.capacity > 16 << 10 { outputBuffer = ByteBuffer() }  // idle connections keep no large buffer
        if draining && streams.isEmpty && !finalGoAwaySent {
            // Drained before the final GOAWAY was due: send it now, so the peer learns which
            // of its streams were processed, and close after it.
            submitFinalGoAway(session)
            pump()
            return
        }
        if (!session.wantsRead && !session.wantsWrite) || (draining && streams.isEmpty && !session.wantsWrite) {
            close()
        }
    }

    func close() {
        guard !closed, let context else { return }
        closed = true
        shutDownStreams()
        context.close(promise: nil)
    }

    private func shutDownStreams() {
        lastStream = nil
        spareStreams = []
        let all = streams
        streams.removeAll()
        for stream in all.values { stream.tearDown(reason: RPCError(.unavailable, "the connection closed")) }
    }

    // MARK: Lifecycle

    private func checkIdle() {
        defer { bytesReadSinceIdleCheck = 0 }
        guard streams.isEmpty, bytesReadSinceIdleCheck == 0, let session else { return }
        submitFinalGoAway(session)
        draining = true
        pump()
        close()
    }

    /// Two-phase GOAWAY (RFC 9113 §6.8): a shutdown notice now, the final GOAWAY with the
    /// last processed stream one second later (or as soon as no stream is open); the
    /// connection closes when its streams finish.
    private func beginDrain() {
        guard !draining, let session, let bound = loopBound else { return }
        draining = true
        session.submitShutdownNotice()
        pump()
        eventLoop.scheduleTask(in: .seconds(1)) {
            let handler = bound.value
            guard !handler.closed, !handler.finalGoAwaySent, let session = handler.session else { return }
            handler.submitFinalGoAway(session)
            handler.pump()
        }
    }

    private func submitFinalGoAway(_ session: NGHTTP2Session) {
        finalGoAwaySent = true
        session.submitGoAway(errorCode: NGHTTP2_NO_ERROR.rawValue)
    }
}
