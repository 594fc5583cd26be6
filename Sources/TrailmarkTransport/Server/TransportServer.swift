import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The Trailmark transport server: TLS (OpenSSL) or plaintext, HTTP/2 (nghttp2) and
/// HTTP/1.1 (NIO) on one port, dispatching to a `TransportRouter`.
///
/// Lifecycle: `start()` binds; `shutdown()` stops accepting, drains connections (two-phase
/// GOAWAY, then close) within `TransportTimeouts.drain`, and releases the threads.
/// `reloadCertificates()` swaps in freshly read PEM files for new connections.
public final class TransportServer: Sendable {
    private struct State {
        var group: MultiThreadedEventLoopGroup?
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        /// Set by `shutdown()` before it lists the connections to drain: a connection accepted
        /// after that moment is closed at once (it could miss the drain event otherwise).
        var draining = false
        var tls: TLSContext?
        var caFile: String?
    }

    public let configuration: TransportServerConfiguration
    private let shared: ServerShared
    private let state = Mutex(State())

    public init(configuration: TransportServerConfiguration, router: TransportRouter,
                logger: Logger = Logger(label: "trailmark.transport")) {
        self.configuration = configuration
        self.shared = ServerShared(router: router, limits: configuration.limits, timeouts: configuration.timeouts, logger: logger)
    }

    /// The bound port (useful with `port: 0`); nil before `start`.
    public var localPort: Int? { state.withLock { $0.listener?.localAddress?.port } }

    /// The development CA file when the server generated its certificate, so clients can
    /// verify it (`curl --cacert`); nil otherwise.
    public var developmentCAFile: String? { state.withLock { $0.caFile } }

    /// Loads the TLS material and binds the listening socket.
    public func start() async throws {
        let tls = try loadTLS()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let shared = self.shared
        let timeouts = configuration.timeouts
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 << 10, high: 128 << 10))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let refusal = self.admit(channel) { throw refusal }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = self.currentTLS() {
                        let connection = try TLSConnection(context: tls)
                        try pipeline.addHandler(TLSHandler(connection: connection, handshakeTimeout: TimeAmount(timeouts.handshake)))
                        try pipeline.addHandler(ALPNConfigurator(shared: shared))
                    } else {
                        try pipeline.addHandler(PlaintextSniffer(shared: shared))
                    }
                    try pipeline.addHandler(ConnectionErrorLogger(logger: shared.logger), position: .last)
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw TransportError(.io, "binding \(configuration.host):\(configuration.port): \(error)")
        }
        state.withLock {
            $0.group = group
            $0.listener = listener
            $0.tls = tls.context
            $0.caFile = tls.caFile
        }
    }

    private func loadTLS() throws(TransportError) -> (context: TLSContext?, caFile: String?) {
        switch configuration.security {
        case .plaintext:
            return (nil, nil)
        case .certificateFiles(let chain, let key):
            return (try TLSContext.server(certificateChainFile: chain, privateKeyFile: key), nil)
        case .developmentCertificate(let directory):
            let files = try DevelopmentCertificates.ensure(in: directory)
            let context = try TLSContext.server(certificateChainFile: files.certificateChainFile, privateKeyFile: files.privateKeyFile)
            return (context, files.caCertificateFile)
        }
    }

    /// Re-reads the certificate files; new connections use them, open ones keep theirs.
    /// On failure the old certificate stays in use and the error is thrown.
    public func reloadCertificates() throws(TransportError) {
        let loaded = try loadTLS()
        state.withLock { $0.tls = loaded.context }
    }

    private func currentTLS() -> TLSContext? { state.withLock { $0.tls } }

    /// Registers an accepted connection; returns why it is refused instead (limit reached,
    /// or the server is shutting down).
    private func admit(_ channel: any Channel) -> TransportError? {
        let id = ObjectIdentifier(channel)
        let refusal = state.withLock { state -> TransportError? in
            if state.draining { return TransportError(.connectionClosed, "the server is shutting down") }
            guard state.connections.count < shared.limits.connectionsMax else {
                return TransportError(.connectionClosed, "connection limit \(shared.limits.connectionsMax) reached")
            }
            state.connections[id] = channel
            return nil
        }
        if refusal == nil {
            channel.closeFuture.whenComplete { [self] _ in
                _ = state.withLock { $0.connections.removeValue(forKey: id) }
            }
        }
        return refusal
    }

    /// Open connections right now.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Graceful shutdown: stop accepting, ask every connection to drain (HTTP/2: GOAWAY, open
    /// streams run to completion; HTTP/1.1: the current response is the last), wait until
    /// they have closed or `TransportTimeouts.drain` has passed, close what is left, stop the
    /// event loops. Called from a cancelled task, it skips the wait and closes at once.
    /// Idempotent; a no-op before `start()`.
    public func shutdown() async {
        let (listener, group, connections) = state.withLock { state -> ((any Channel)?, MultiThreadedEventLoopGroup?, [any Channel]) in
            guard state.group != nil else { return (nil, nil, []) }
            state.draining = true
            return (state.listener, state.group, Array(state.connections.values))
        }
        guard let group else { return }
        try? await listener?.close()
        let drain = configuration.timeouts.drain
        shared.logger.info("shutdown: listener closed; draining open connections",
                           metadata: ["connections": "\(connections.count)", "timeout": "\(drain)"])
        for channel in connections { channel.pipeline.fireUserInboundEventTriggered(ConnectionDrainEvent()) }
        let clock = ContinuousClock()
        let start = clock.now
        while connectionCount > 0 && clock.now < start + drain && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = state.withLock { Array($0.connections.values) }
        if left.isEmpty {
            shared.logger.info("shutdown: connections drained", metadata: ["elapsed": "\(clock.now - start)"])
        } else {
            let reason = Task.isCancelled ? "cancelled" : "drain timeout"
            shared.logger.warning("shutdown: closing connections still open",
                                  metadata: ["connections": "\(left.count)", "reason": "\(reason)"])
        }
        for channel in left { try? await channel.close() }
        state.withLock {
            $0.listener = nil
            $0.group = nil
        }
        try? await group.shutdownGracefully()
    }
}

/// Last handler of every connection: logs one line per connection error with the peer
/// address and closes the connection.
final class ConnectionErrorLogger: ChannelInboundHandler {
    typealias InboundIn = Any
    private let logger: Logger
    private var logged = false

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !logged {
            logged = true
            let peer = context.channel.remoteAddress?.peerDescription ?? "unknown"
            logger.warning("connection error", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
        context.close(promise: nil)
    }
}
