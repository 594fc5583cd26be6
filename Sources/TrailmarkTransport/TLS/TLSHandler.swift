import NIOCore

/// Events the `TLSHandler` sends up the pipeline.
public enum TLSEvent: Sendable, Equatable {
    /// The handshake finished; `negotiatedProtocol` is the ALPN result (nil: none).
    case handshakeCompleted(negotiatedProtocol: String?)
}

/// TLS over NIO with OpenSSL memory BIOs: ciphertext `ByteBuffer`s in from the socket,
/// plaintext `ByteBuffer`s up the pipeline; plaintext writes down are encrypted and sent on
/// `flush`.
///
/// Threading: lives on its channel's event loop like every `ChannelHandler`; the
/// `TLSConnection` it owns never leaves that loop. Stored properties are
/// `@exclusivity(unchecked)`: one thread touches them, and the `inout` buffers handed to
/// `TLSConnection` are not reachable from OpenSSL during those calls.
///
/// The handshake must finish within `handshakeTimeout`, or the channel is closed (slow-loris
/// protection before any HTTP parsing). Once it finishes, `TLSEvent.handshakeCompleted` is
/// fired before any decrypted byte, so a handler can set up the pipeline for the
/// negotiated protocol synchronously.
final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = ByteBuffer

    private let connection: TLSConnection
    private let handshakeTimeout: TimeAmount?
    @exclusivity(unchecked) private var handshakeTimer: Scheduled<Void>?
    @exclusivity(unchecked) private var pendingPromises: [EventLoopPromise<Void>] = []
    @exclusivity(unchecked) private var plaintext: ByteBuffer
    @exclusivity(unchecked) private var ciphertext = ByteBuffer()
    @exclusivity(unchecked) private var closed = false

    init(connection: TLSConnection, handshakeTimeout: TimeAmount?) {
        self.connection = connection
        self.handshakeTimeout = handshakeTimeout
        self.plaintext = ByteBuffer()
    }

    /// The ALPN protocol once the handshake completed.
    var negotiatedProtocol: String? { connection.negotiatedProtocol }

    func handlerAdded(context: ChannelHandlerContext) {
        if let handshakeTimeout {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            handshakeTimer = context.eventLoop.scheduleTask(in: handshakeTimeout) {
                let context = loopBound.value
                context.fireErrorCaught(TransportError(.timeout, "TLS handshake not finished within \(handshakeTimeout)"))
                context.close(promise: nil)
            }
        }
        if context.channel.isActive { startClientHandshake(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startClientHandshake(context: context)
        context.fireChannelActive()
    }

    private func startClientHandshake(context: ChannelHandlerContext) {
        guard connection.context.role == .client, !connection.handshakeComplete else { return }
        advanceHandshake(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        failPending(TransportError(.connectionClosed, "TLS handler removed"))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.receiveCiphertext(unwrapInboundIn(data))
        if !connection.handshakeComplete {
            advanceHandshake(context: context)
            guard connection.handshakeComplete else { return }
        }
        readPlaintext(context: context)
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        let result = connection.handshake()
        flushCiphertext(context: context, promise: nil)
        switch result {
        case .wantRead:
            return
        case .failed(let error):
            fail(context: context, error)
        case .complete:
            handshakeTimer?.cancel()
            handshakeTimer = nil
            context.fireUserInboundEventTriggered(TLSEvent.handshakeCompleted(negotiatedProtocol: connection.negotiatedProtocol))
            readPlaintext(context: context)
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        let result = connection.readPlaintext(into: &plaintext)
        flushCiphertext(context: context, promise: nil)  // tickets, alerts, key updates
        if plaintext.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(plaintext))
            // Reused when the reader kept no reference (ByteBuffer is copy-on-write: a kept
            // reference makes `clear` allocate fresh storage instead).
            plaintext.clear()
            // No channelReadComplete here: the socket's own one ends the read burst (every
            // call of this method comes from a socket read), so the next handler answers a
            // whole burst with one write and flush.
        }
        switch result {
        case .wantRead: break
        case .closed: context.close(promise: nil)
        case .failed(let error): fail(context: context, error)
        }
    }

    /// End of a read burst: give the reusable buffers back so an idle connection holds no
    /// 16 KiB+ buffers (they are reused within a burst, re-allocated on the next one).
    func channelReadComplete(context: ChannelHandlerContext) {
        if plaintext.readableBytes == 0 && plaintext.capacity > 0 { plaintext = ByteBuffer() }
        if ciphertext.capacity > 4096 { ciphertext = ByteBuffer() }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard connection.handshakeComplete, !closed else {
            promise?.fail(TransportError(.connectionClosed, "write before the TLS handshake completed or after close"))
            return
        }
        guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            promise?.fail(TransportError(.io, "file regions cannot be sent over TLS"))
            return
        }
        if let error = connection.writePlaintext(buffer) {
            promise?.fail(error)
            fail(context: context, error)
            return
        }
        if let promise { pendingPromises.append(promise) }
    }

    func flush(context: ChannelHandlerContext) {
        let promise: EventLoopPromise<Void>?
        switch pendingPromises.count {
        case 0: promise = nil
        case 1: promise = pendingPromises.removeFirst()
        default:
            let all = pendingPromises
            pendingPromises.removeAll(keepingCapacity: true)
            let combined = context.eventLoop.makePromise(of: Void.self)
            combined.futureResult.whenComplete { result in all.forEach { $0.completeWith(result) } }
            promise = combined
        }
        flushCiphertext(context: context, promise: promise)
    }

    private func flushCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard connection.pendingCiphertextBytes > 0 else {
            promise?.succeed()
            return
        }
        ciphertext.clear()  // fresh storage if the socket still holds the previous write
        connection.drainCiphertext(into: &ciphertext)
        context.writeAndFlush(wrapOutboundOut(ciphertext), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if !closed && mode == .all && context.channel.isActive {
            closed = true
            connection.shutdown()
            flushCiphertext(context: context, promise: nil)
        }
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        handshakeTimer?.cancel()
        failPending(TransportError(.connectionClosed, "connection closed"))
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: TransportError) {
        guard !closed else { return }
        closed = true
        failPending(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failPending(_ error: TransportError) {
        let all = pendingPromises
        pendingPromises.removeAll()
        all.forEach { $0.fail(error) }
    }
}
