import TrailmarkWire

/// An error a request ends with: the stable code of API.md § Errors, a human message and,
/// for invalid input, the field (a JSON path such as `events[3].timestamp`) and reason.
///
/// This type is the **one place** where error codes map to HTTP statuses and gRPC status
/// codes: `httpStatus` and `statusCode` below. Both APIs report the same code for the
/// same failure (the RPC puts `code` in `grpc-message`'s prefix).
public struct APIError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }

        public static let invalidJSON = Code("invalid_json")
        public static let invalidEvent = Code("invalid_event")
        public static let invalidIdentify = Code("invalid_identify")
        public static let invalidQuery = Code("invalid_query")
        public static let unauthorized = Code("unauthorized")
        public static let forbidden = Code("forbidden")
        public static let originNotAllowed = Code("origin_not_allowed")
        public static let payloadTooLarge = Code("payload_too_large")
        public static let rateLimited = Code("rate_limited")
        public static let notFound = Code("not_found")
        public static let unavailable = Code("unavailable")
        public static let internalError = Code("internal")
        /// Not in API.md's list because JSON clients cannot cause it: an unsupported
        /// content type on an RPC path (HTTP 415).
        public static let unsupportedMediaType = Code("unsupported_media_type")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// JSON path of the offending input, for `invalid_*` codes.
    public var field: String?
    /// Machine-friendly reason (`too_long`, `required`, `wrong_type`, …).
    public var reason: String?
    /// Seconds after which a retry may succeed (429 and 503).
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, reason: String? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The HTTP status of this error (API.md).
    public var httpStatus: Int {
        switch code {
        case .invalidJSON, .invalidEvent, .invalidIdentify, .invalidQuery: 400
        case .unauthorized: 401
        case .forbidden, .originNotAllowed: 403
        case .notFound: 404
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .rateLimited: 429
        case .unavailable: 503
        default: 500
        }
    }

    /// The gRPC status of this error.
    public var statusCode: StatusCode {
        switch code {
        case .invalidJSON, .invalidEvent, .invalidIdentify, .invalidQuery: .invalidArgument
        case .unauthorized: .unauthenticated
        case .forbidden, .originNotAllowed: .permissionDenied
        case .notFound: .notFound
        case .payloadTooLarge, .rateLimited: .resourceExhausted
        case .unsupportedMediaType: .unimplemented
        case .unavailable: .unavailable
        default: .internalError
        }
    }

    /// The JSON body of API.md: `{"error", "message", "details": {...}}`.
    public var jsonBody: JSONValue {
        var details: [(key: String, value: JSONValue)] = []
        if let field { details.append((key: "field", value: .string(field))) }
        if let reason { details.append((key: "reason", value: .string(reason))) }
        if let retryAfterSeconds { details.append((key: "retry_after", value: .int(Int64(retryAfterSeconds)))) }
        return .object([
            (key: "error", value: .string(code.name)),
            (key: "message", value: .string(message)),
            (key: "details", value: .object(details)),
        ])
    }

    /// The `grpc-message` text: `code: message [field]`, so RPC clients see the same code.
    public var grpcMessage: String {
        var text = "\(code.name): \(message)"
        if let field { text += " [field \(field)]" }
        return text
    }

    public var description: String { grpcMessage }

    /// Maps a binary-codec failure in a request of kind `code` to an API error, keeping the field.
    public static func fromWire(_ error: WireError, as code: Code) -> APIError {
        if error.code == .messageTooLarge {
            return APIError(.payloadTooLarge, error.message, reason: "too_large")
        }
        return APIError(code, error.message, field: error.field.isEmpty ? nil : error.field, reason: error.code.description)
    }
}
