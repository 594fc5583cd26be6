/// A decoding or encoding failure of the Trailmark wire format (`Proto/WIRE.md`).
///
/// `field` is a path such as `events[3].timestamp` or `EventBatch.names[2]` so that a
/// caller (and the JSON gateway's `details.field`) can say exactly what was wrong.
/// A wire error poisons one message, never the connection.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; a struct over a private enum so new kinds never break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable {
            case truncated, malformedVarint, invalidUTF8, wrongWireType, limitExceeded
            case missingField, invalidValue, messageTooLarge, compressedMessage
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The input ended inside a value.
        public static let truncated = Code(.truncated)
        /// A varint longer than 10 bytes or overflowing 64 bits.
        public static let malformedVarint = Code(.malformedVarint)
        /// A string field that is not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A known field arrived with a wire type other than its schema's.
        public static let wrongWireType = Code(.wrongWireType)
        /// A count or length above the limit in `WireLimits`.
        public static let limitExceeded = Code(.limitExceeded)
        /// A required field was absent.
        public static let missingField = Code(.missingField)
        /// A value out of its domain (an unknown enum value, a bad dictionary index, …).
        public static let invalidValue = Code(.invalidValue)
        /// A framed message whose declared length exceeds the maximum message size.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// A framed message with the compressed flag set (no encoding is supported).
        public static let compressedMessage = Code(.compressedMessage)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    /// The field path the failure concerns (`""` for the message as a whole).
    public var field: String
    /// A human-readable reason, naming both numbers where a limit was exceeded.
    public var message: String

    public init(_ code: Code, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(code): \(message)" : "\(code) at \(field): \(message)"
    }

    /// The gRPC status this failure maps to: oversize is RESOURCE_EXHAUSTED, compression
    /// UNIMPLEMENTED, everything else INVALID_ARGUMENT. The single place for this mapping.
    public var statusCode: StatusCode {
        switch code {
        case .messageTooLarge: .resourceExhausted
        case .compressedMessage: .unimplemented
        default: .invalidArgument
        }
    }
}
