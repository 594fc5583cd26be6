import CNGHTTP2
import NIOCore
import Synchronization
import TrailmarkWire

/// The HTTP/2 client side of one connection: an nghttp2 client session multiplexing calls.
///
/// Threading: lives on its channel's event loop; `ClientConnection` hops to it. The session
/// starts after the TLS handshake (`TLSEvent`) or, in plaintext, when the channel is active;
/// `ready` completes then. Pumping and flow control mirror `HTTP2ServerHandler`.
final class HTTP2ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let ready: EventLoopPromise<Void>
    let usable: ClientConnectionFlag
    private let expectsTLS: Bool
    private var session: NGHTTP2Session?
    var streams: [Int32: ClientStream] = [:]
    private var context: ChannelHandlerContext?
    private var inSession = false
    private var flushScheduled = false
    private var readPending = false
    private var closed = false
    var loopBound: NIOLoopBound<HTTP2ClientHandler>?

    init(ready: EventLoopPromise<Void>, usable: ClientConnectionFlag, expectsTLS: Bool) {
        self.ready = ready
        self.usable = usable
        self.expectsTLS = expectsTLS
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        if !expectsTLS && context.channel.isActive { startSession() }
    }

    func channelActive(context: ChannelHandlerContext) {
        if !expectsTLS { startSession() }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let negotiated) = event as? TLSEvent {
            guard negotiated == "h2" else {
                fail(TransportError(.tls, "the server did not agree to HTTP/2 (ALPN: \(negotiated ?? "none"))"))
                return
            }
            startSession()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func startSession() {
        guard session == nil, !closed else { return }
        do {
            session = try NGHTTP2Session(role: .client, settings: NGHTTP2Session.Settings(maxConcurrentStreams: 100), delegate: self)
        } catch {
            fail(error)
            return
        }
        pump()
        ready.succeed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !closed else { return }
        inSession = true
        let error = session.receive(unwrapInboundIn(data))
        inSession = false
        pump()
        if let error { fail(error) }
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable { context.read() } else { readPending = true }
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
        usable.clear()
        failAll(RPCError(.unavailable, "the connection closed"))
        ready.fail(TransportError(.connectionClosed, "the connection closed before it was ready"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { fail(error) }

    private func fail(_ error: any Error) {
        usable.clear()
        ready.fail(error)
        failAll(RPCError(.unavailable, "connection failed: \(error)"))
        if !closed, let context {
            closed = true
            context.close(promise: nil)
        }
    }

    private func failAll(_ error: RPCError) {
        let all = streams
        streams.removeAll()
        for stream in all.values {
            stream.failure = stream.failure ?? error
            stream.settle(closeError: error)
        }
    }

    // MARK: Calls (on the event loop)

    /// Opens a request stream; nil when the connection cannot take new streams.
    func open(_ stream: ClientStream, headers: HeaderFields) -> Bool {
        guard let session, !closed, let id = session.submitRequest(headers: headers, body: true) else { return false }
        stream.id = id
        streams[id] = stream
        scheduleFlush()
        return true
    }

    func enqueue(_ stream: ClientStream, message: [UInt8]) {
        stream.outbound.writeInteger(UInt8(0))
        stream.outbound.writeInteger(UInt32(message.count))
        stream.outbound.writeBytes(message)
        resume(stream)
    }

    func endRequest(_ stream: ClientStream) {
        stream.outboundEnded = true
        resume(stream)
    }

    func reset(_ stream: ClientStream, failure: RPCError) {
        guard stream.finalStatus == nil else { return }
        stream.failure = stream.failure ?? failure
        if streams[stream.id] != nil { session?.submitReset(streamID: stream.id, errorCode: NGHTTP2_CANCEL.rawValue) }
        scheduleFlush()
    }

    func inboundTaken(_ stream: ClientStream, wireBytes: Int) {
        stream.queuedInboundBytes -= wireBytes
        if stream.owedWindowBytes > 0 && stream.queuedInboundBytes <= HTTP2ServerHandler.inboundQueueBytesMax {
            if streams[stream.id] != nil { session?.consume(streamID: stream.id, bytes: stream.owedWindowBytes) }
            stream.owedWindowBytes = 0
            scheduleFlush()
        }
    }

    func sessionConsume(_ streamID: Int32, _ bytes: Int) { session?.consume(streamID: streamID, bytes: bytes) }
    func sessionConsumeConnection(_ bytes: Int) { session?.consumeConnection(bytes: bytes) }

    private func resume(_ stream: ClientStream) {
        if stream.dataDeferred && streams[stream.id] != nil {
            stream.dataDeferred = false
            session?.resumeData(streamID: stream.id)
        }
        scheduleFlush()
    }

    func scheduleFlush() {
        guard !inSession, !flushScheduled, let bound = loopBound, let context else { return }
        flushScheduled = true
        context.eventLoop.execute {
            let handler = bound.value
            handler.flushScheduled = false
            handler.pump()
        }
    }

    private func pump() {
        guard let context, let session, !closed, !inSession else { return }
        var wrote = false
        while context.channel.isWritable {
            var buffer = context.channel.allocator.buffer(capacity: 4096)
            inSession = true
            let error = session.send(into: &buffer, limitBytes: HTTP2ServerHandler.writeChunkBytes)
            inSession = false
            if buffer.readableBytes > 0 {
                context.write(wrapOutboundOut(buffer), promise: nil)
                wrote = true
            }
            if error != nil || buffer.readableBytes < HTTP2ServerHandler.writeChunkBytes { break }
            context.flush()
            wrote = false
        }
        if wrote { context.flush() }
        if !session.wantsRead && !session.wantsWrite {
            closed = true
            usable.clear()
            context.close(promise: nil)
        }
    }
}

/// Whether a client connection may take new calls (cleared on GOAWAY, error or close).
/// Read from any thread by `TransportClient` when choosing a connection.
final class ClientConnectionFlag: Sendable {
    private let value = Mutex(true)
    var isSet: Bool { value.withLock { $0 } }
    func clear() { value.withLock { $0 = false } }
}
