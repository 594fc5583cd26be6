import NIOCore
import NIOHTTP1

/// Builds the protocol part of a connection's pipeline once the protocol is known: after the
/// TLS handshake (ALPN) or, in plaintext, after sniffing the first bytes for the HTTP/2
/// connection preface (RFC 9113 §3.4).
enum ConnectionConfigurator {
    static func addHTTP2(to pipeline: ChannelPipeline.SynchronousOperations, shared: ServerShared) throws {
        try pipeline.addHandler(HTTP2ServerHandler(shared: shared))
    }

    static func addHTTP1(to pipeline: ChannelPipeline.SynchronousOperations, shared: ServerShared) throws {
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: false)
        try pipeline.addHandler(IdleStateHandler(allTimeout: TimeAmount(shared.timeouts.idle)))
        try pipeline.addHandler(HTTP1RouteHandler(shared: shared))
    }
}

/// Waits for `TLSEvent.handshakeCompleted` and installs HTTP/2 (`h2`) or HTTP/1.1
/// (`http/1.1` or no ALPN), then leaves the pipeline. A `ConnectionDrainEvent` that arrives
/// during the handshake is held and passed to the protocol handler once it is installed
/// (HTTP/2 then answers with GOAWAY, HTTP/1.1 closes while idle).
final class ALPNConfigurator: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let shared: ServerShared
    private var drainRequested = false

    init(shared: ServerShared) { self.shared = shared }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ConnectionDrainEvent {
            drainRequested = true
            return
        }
        guard case .handshakeCompleted(let negotiated) = event as? TLSEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let pipeline = context.pipeline.syncOperations
        do {
            if negotiated == "h2" {
                try ConnectionConfigurator.addHTTP2(to: pipeline, shared: shared)
            } else {
                try ConnectionConfigurator.addHTTP1(to: pipeline, shared: shared)
            }
            if drainRequested { context.fireUserInboundEventTriggered(ConnectionDrainEvent()) }
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }
}

/// Plaintext: buffers the first bytes until they either match the HTTP/2 preface
/// (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, prior knowledge) or diverge from it (HTTP/1.1),
/// then installs that protocol, replays the bytes and leaves. Must decide within the
/// handshake timeout. A `ConnectionDrainEvent` closes a connection that has sent nothing yet;
/// after the first bytes it is held and passed on after the replay (so a request already
/// begun is still answered).
final class PlaintextSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    private let shared: ServerShared
    private var buffered: ByteBuffer?
    private var timer: Scheduled<Void>?
    private var drainRequested = false

    init(shared: ServerShared) { self.shared = shared }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: TimeAmount(shared.timeouts.handshake)) { bound.value.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered {
            buffered.writeBuffer(&incoming)
            self.buffered = buffered
        } else {
            buffered = incoming
        }
        guard let bytes = buffered else { return }
        let view = bytes.readableBytesView
        let compared = min(view.count, Self.preface.count)
        let matches = view.prefix(compared).elementsEqual(Self.preface.prefix(compared))
        guard !matches || compared == Self.preface.count else { return }  // need more bytes
        timer?.cancel()
        let pipeline = context.pipeline.syncOperations
        do {
            if matches {
                try ConnectionConfigurator.addHTTP2(to: pipeline, shared: shared)
            } else {
                try ConnectionConfigurator.addHTTP1(to: pipeline, shared: shared)
            }
        } catch {
            context.close(promise: nil)
            return
        }
        buffered = nil
        context.fireChannelRead(wrapInboundOut(bytes))
        context.fireChannelReadComplete()
        if drainRequested { context.fireUserInboundEventTriggered(ConnectionDrainEvent()) }
        pipeline.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ConnectionDrainEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if buffered == nil {
            context.close(promise: nil)
        } else {
            drainRequested = true
        }
    }
}
