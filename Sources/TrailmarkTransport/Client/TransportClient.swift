import NIOCore
import NIOPosix
import Synchronization
import TrailmarkWire

/// The Trailmark RPC client: one multiplexed HTTP/2 connection (nghttp2 over OpenSSL, ALPN
/// `h2`, verification on by default) per client, re-established on demand after GOAWAY or
/// failure. Streams beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS wait in nghttp2.
///
/// Every call shape takes raw message bodies and reports non-OK statuses as `RPCError`.
public final class TransportClient: Sendable {
    public let configuration: TransportClientConfiguration
    private let tls: TLSContext?
    private let group: any EventLoopGroup
    private let connection = Mutex<EventLoopFuture<ClientConnection>?>(nil)

    public init(configuration: TransportClientConfiguration) throws {
        self.configuration = configuration
        switch configuration.security {
        case .tls(let caFile, _): tls = try TLSContext.client(caFile: caFile, verify: true)
        case .insecure: tls = try TLSContext.client(verify: false)
        case .plaintext: tls = nil
        }
        group = MultiThreadedEventLoopGroup.singleton
    }

    // MARK: Calls

    /// A unary call: one request, one response body.
    public func unary(_ path: String, _ request: [UInt8], metadata: HeaderFields = HeaderFields(), timeout: Duration? = nil) async throws -> [UInt8] {
        let call = try await open(path, metadata: metadata, timeout: timeout)
        try await call.send(request)
        call.finish()
        return try await single(call)
    }

    /// A client-streaming call: `requests` writes the messages; one response body.
    public func clientStreaming(_ path: String, metadata: HeaderFields = HeaderFields(), timeout: Duration? = nil,
                                requests: (RPCMessageWriter) async throws -> Void) async throws -> [UInt8] {
        let call = try await open(path, metadata: metadata, timeout: timeout)
        try await requests(RPCMessageWriter { try await call.send($0) })
        call.finish()
        return try await single(call)
    }

    /// A server-streaming call: the response messages as a sequence (throws `RPCError` at
    /// the end for a non-OK status).
    public func serverStreaming(_ path: String, _ request: [UInt8], metadata: HeaderFields = HeaderFields(),
                                timeout: Duration? = nil) async throws -> RPCMessageStream {
        let call = try await open(path, metadata: metadata, timeout: timeout)
        try await call.send(request)
        call.finish()
        return call.responses
    }

    /// A bidirectional call: the caller sends with `send`/`finish` and reads `responses`.
    public func bidirectional(_ path: String, metadata: HeaderFields = HeaderFields(), timeout: Duration? = nil) async throws -> ClientCall {
        try await open(path, metadata: metadata, timeout: timeout)
    }

    /// A plain HTTP request over the same HTTP/2 connection (JSON gateway, health, any
    /// HTTP/2 server); the response body is limited to `messageBytesMax`.
    public func request(_ method: String, _ path: String, headers: HeaderFields = HeaderFields(), body: [UInt8] = [],
                        timeout: Duration? = nil) async throws -> HTTPResponse {
        var all = configuration.defaultHeaders
        for field in headers { all.addLowercased(field.name, field.value) }
        let connection = try await currentConnection()
        return try await connection.request(method: method, path: path, headers: all, body: body, timeout: timeout)
    }

    private func single(_ call: ClientCall) async throws -> [UInt8] {
        var body: [UInt8]?
        for try await message in call.responses {
            if body != nil { throw RPCError(.internalError, "more than one response message for a single-response method") }
            body = message
        }
        let status = await call.status()
        if let error = status.error { throw error }
        guard let body else { throw RPCError(.internalError, "no response message for a single-response method") }
        return body
    }

    /// Opens a raw call on the shared connection (connecting or reconnecting as needed).
    public func open(_ path: String, metadata: HeaderFields = HeaderFields(), timeout: Duration? = nil) async throws -> ClientCall {
        var headers = configuration.defaultHeaders
        for field in metadata { headers.addLowercased(field.name, field.value) }
        let connection = try await currentConnection()
        return try await connection.open(path: path, metadata: headers, timeout: timeout)
    }

    /// Closes the connection; calls in flight fail with UNAVAILABLE.
    public func close() async {
        let future = connection.withLock { current in
            defer { current = nil }
            return current
        }
        if let connection = try? await future?.get() { try? await connection.channel.close() }
    }

    // MARK: Connection

    private func currentConnection() async throws -> ClientConnection {
        let future = connection.withLock { current -> EventLoopFuture<ClientConnection> in
            if let current { return current }  // checked for usability below
            let fresh = connect()
            current = fresh
            return fresh
        }
        do {
            let connection = try await future.get()
            if connection.isUsable { return connection }
        } catch {}
        let fresh = connection.withLock { current -> EventLoopFuture<ClientConnection> in
            if let current, current !== future { return current }
            let fresh = connect()
            current = fresh
            return fresh
        }
        do {
            return try await fresh.get()
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(.unavailable, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
    }

    private func connect() -> EventLoopFuture<ClientConnection> {
        let configuration = self.configuration
        let tls = self.tls
        let loop = group.next()
        let usable = ClientConnectionFlag()
        let ready = loop.makePromise(of: Void.self)
        let serverName: String = if case .tls(_, let name?) = configuration.security { name } else { configuration.host }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        let connection = try TLSConnection(context: tls, serverName: serverName)
                        try pipeline.addHandler(TLSHandler(connection: connection, handshakeTimeout: TimeAmount(configuration.connectTimeout)))
                    }
                    try pipeline.addHandler(HTTP2ClientHandler(ready: ready, usable: usable, expectsTLS: tls != nil))
                }
            }
        let authority = configuration.port == 443 ? configuration.host : "\(configuration.host):\(configuration.port)"
        let scheme = tls == nil ? "http" : "https"
        let maxBytes = configuration.messageBytesMax
        return bootstrap.connect(host: configuration.host, port: configuration.port).flatMap { channel in
            ready.futureResult.flatMapThrowing {
                let handler = try channel.pipeline.syncOperations.handler(type: HTTP2ClientHandler.self)
                return ClientConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop),
                                        usable: usable, authority: authority, scheme: scheme, messageBytesMax: maxBytes)
            }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }.flatMapErrorThrowing { error in
            ready.fail(error)
            throw error
        }
    }
}
