/// A failure of the transport itself (configuration, TLS, HTTP/2, connection), as opposed to
/// the outcome of one RPC (`RPCError`).
///
/// A struct over a private enum so that adding a code never breaks callers (`STYLE.md`).
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable {
            case configuration, certificate, tls, http2, protocolViolation, connectionClosed, timeout, io
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// An invalid option or limit (names the field in `message`).
        public static let configuration = Code(.configuration)
        /// A certificate or key could not be read, generated or verified.
        public static let certificate = Code(.certificate)
        /// The TLS handshake or a TLS record failed.
        public static let tls = Code(.tls)
        /// libnghttp2 reported a session error.
        public static let http2 = Code(.http2)
        /// The peer broke HTTP/2, HTTP/1.1 or gRPC framing rules.
        public static let protocolViolation = Code(.protocolViolation)
        /// The connection closed before the operation finished.
        public static let connectionClosed = Code(.connectionClosed)
        /// A handshake, idle or drain deadline passed.
        public static let timeout = Code(.timeout)
        /// A socket or file operation failed.
        public static let io = Code(.io)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
