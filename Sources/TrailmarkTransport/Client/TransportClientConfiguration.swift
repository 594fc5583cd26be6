import TrailmarkWire

/// Where and how a `TransportClient` connects.
public struct TransportClientConfiguration: Sendable {
    /// How the connection is secured.
    public enum Security: Sendable {
        /// TLS with certificate verification (the default): the chain must lead to a CA in
        /// `caFile` (PEM) or, when nil, the system trust store; the name checked is
        /// `serverName` or the host.
        case tls(caFile: String? = nil, serverName: String? = nil)
        /// TLS without any verification — only when the user asked for `insecure`.
        case insecure
        /// h2c with prior knowledge (loopback, or behind a TLS-terminating proxy).
        case plaintext
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// TCP connect plus TLS handshake must finish within this.
    public var connectTimeout: Duration = .seconds(10)
    /// Largest response message accepted (larger → RESOURCE_EXHAUSTED).
    public var messageBytesMax: Int = WireLimits.default.messageBytesMax
    /// Request bytes queued per call before `RPCMessageWriter.write` suspends.
    public var streamOutboundBytesMax: Int = 256 << 10
    /// Extra headers sent with every call (e.g. `authorization`, `user-agent`).
    public var defaultHeaders: HeaderFields = HeaderFields()

    public init(host: String, port: Int, security: Security = .tls()) {
        self.host = host
        self.port = port
        self.security = security
    }
}
