import TrailmarkWire

/// A failure of the storage layer: opening, appending, reading, recovering or maintaining
/// the segment log.
///
/// `code` says what kind of failure (callers switch on it; services map `overloaded` to gRPC
/// RESOURCE_EXHAUSTED / HTTP 503); `message` names the file, offset or numbers involved.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; a struct over a private enum so new kinds never break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable {
            case locked, corrupted, io, overloaded, closed, invalidArgument, unsupportedFormat
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Another process (or another open log in this one) holds the data directory's lock.
        public static let locked = Code(.locked)
        /// Recovery found a bad record followed by good ones; the message names file and offset.
        /// Reopen with `LogConfiguration.repair` to keep the good prefix.
        public static let corrupted = Code(.corrupted)
        /// A system call failed (the message names the call, the file and `errno`'s text).
        public static let io = Code(.io)
        /// The ring stayed full past the producer deadline (maps to RESOURCE_EXHAUSTED / 503).
        public static let overloaded = Code(.overloaded)
        /// The log is closed (or failed earlier and no longer accepts appends).
        public static let closed = Code(.closed)
        /// A caller-supplied value out of range (a record larger than a segment, a bad config).
        public static let invalidArgument = Code(.invalidArgument)
        /// A segment file written by an unknown format version.
        public static let unsupportedFormat = Code(.unsupportedFormat)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    /// A human-readable reason naming the file, offset or limit concerned.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// The gRPC status an append or read failure maps to (HTTP: 503 for `overloaded` and
    /// `closed`). The single place for this mapping.
    public var statusCode: StatusCode {
        switch code {
        case .overloaded: .resourceExhausted
        case .closed: .unavailable
        case .invalidArgument: .invalidArgument
        case .corrupted: .dataLoss
        default: .internalError
        }
    }
}
