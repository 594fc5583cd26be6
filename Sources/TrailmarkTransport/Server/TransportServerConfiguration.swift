import NIOCore
import TrailmarkWire

/// How a `TransportServer` listens, secures connections and limits peers.
public struct TransportServerConfiguration: Sendable {
    /// Where TLS material comes from.
    public enum Security: Sendable {
        /// h2c with prior knowledge and HTTP/1.1 on one port, told apart by the connection
        /// preface (for use behind a TLS-terminating proxy or on loopback).
        case plaintext
        /// PEM files: certificate chain (leaf first) and private key; reloaded by
        /// `TransportServer.reloadCertificates()` (wired to SIGHUP by the executable).
        case certificateFiles(chain: String, privateKey: String)
        /// A development CA and `localhost` certificate generated into `<dataDirectory>/tls`
        /// on first start (`DevelopmentCertificates`).
        case developmentCertificate(dataDirectory: String)
    }

    public var host: String
    /// TCP port; 0 picks a free port (read it back from `TransportServer.localPort`).
    public var port: Int
    public var security: Security
    public var limits: TransportLimits
    public var timeouts: TransportTimeouts
    /// Event-loop threads (default: one per core).
    public var threads: Int

    public init(host: String = "0.0.0.0", port: Int = 8443, security: Security,
                limits: TransportLimits = TransportLimits(), timeouts: TransportTimeouts = TransportTimeouts(),
                threads: Int = System.coreCount) {
        self.host = host
        self.port = port
        self.security = security
        self.limits = limits
        self.timeouts = timeouts
        self.threads = threads
    }
}

/// Every limit a server enforces per connection and per stream; units in the names.
public struct TransportLimits: Sendable {
    /// Largest gRPC message body (larger → RESOURCE_EXHAUSTED before it is buffered).
    public var messageBytesMax: Int = WireLimits.default.messageBytesMax
    /// SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §6.5.2); more are refused.
    public var concurrentStreamsMax: UInt32 = 128
    /// SETTINGS_INITIAL_WINDOW_SIZE: what a peer may send on one stream before the
    /// handler consumes it.
    public var streamWindowBytes: UInt32 = 1 << 20
    /// Connection flow-control window: bounds unconsumed request bytes per connection.
    public var connectionWindowBytes: Int32 = 16 << 20
    /// SETTINGS_MAX_FRAME_SIZE.
    public var frameBytesMax: UInt32 = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE, also enforced on receipt (larger → stream reset).
    public var headerListBytesMax: UInt32 = 16 << 10
    /// Response bytes queued per stream before `RPCMessageWriter.write` suspends.
    public var streamOutboundBytesMax: Int = 256 << 10
    /// Body limit for HTTP routes that do not set their own (and for HTTP/1.1 bodies).
    public var httpBodyBytesDefault: Int = 1 << 20
    /// RST_STREAM rate limit against rapid reset (CVE-2023-44487): burst and per second.
    public var streamResetBurst: UInt64 = 1000
    public var streamResetsPerSecond: UInt64 = 33
    /// PING + SETTINGS frames a peer may send: burst, then per second (more → GOAWAY
    /// ENHANCE_YOUR_CALM).
    public var controlFramesBurst: Int = 200
    public var controlFramesPerSecond: Int = 50
    /// Simultaneous connections; more are closed at accept.
    public var connectionsMax: Int = 10_000
    /// Run handlers on the connection's event loop (no thread hop for fast handlers).
    /// Handlers that block must not be registered with this on.
    public var handlersOnEventLoop: Bool = true

    public init() {}
}

/// Every timeout a server enforces.
public struct TransportTimeouts: Sendable {
    /// TLS handshake (and, in plaintext, the first request bytes) must finish within this.
    public var handshake: Duration = .seconds(10)
    /// A connection with no open stream and no bytes read for this long is closed (GOAWAY).
    public var idle: Duration = .seconds(120)
    /// Graceful shutdown: in-flight calls get this long before connections are closed.
    public var drain: Duration = .seconds(10)

    public init() {}
}
