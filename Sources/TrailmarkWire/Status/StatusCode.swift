/// A gRPC status code, as carried in the `grpc-status` trailer.
///
/// A struct over a private enum (not a public enum) so that adding a code never breaks
/// a caller's exhaustive `switch`. Values are gRPC's (`doc/statuscodes.md`).
public struct StatusCode: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: Int, Sendable {
        case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound,
             alreadyExists, permissionDenied, resourceExhausted, failedPrecondition, aborted,
             outOfRange, unimplemented, internalError, unavailable, dataLoss, unauthenticated
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// The numeric value sent in `grpc-status`.
    public var rawValue: Int { wrapped.rawValue }

    /// Parses a `grpc-status` value; `nil` for values gRPC does not define.
    public init?(rawValue: Int) {
        guard let wrapped = Wrapped(rawValue: rawValue) else { return nil }
        self.wrapped = wrapped
    }

    public static let ok = StatusCode(.ok)
    public static let cancelled = StatusCode(.cancelled)
    public static let unknown = StatusCode(.unknown)
    public static let invalidArgument = StatusCode(.invalidArgument)
    public static let deadlineExceeded = StatusCode(.deadlineExceeded)
    public static let notFound = StatusCode(.notFound)
    public static let alreadyExists = StatusCode(.alreadyExists)
    public static let permissionDenied = StatusCode(.permissionDenied)
    public static let resourceExhausted = StatusCode(.resourceExhausted)
    public static let failedPrecondition = StatusCode(.failedPrecondition)
    public static let aborted = StatusCode(.aborted)
    public static let outOfRange = StatusCode(.outOfRange)
    public static let unimplemented = StatusCode(.unimplemented)
    public static let internalError = StatusCode(.internalError)
    public static let unavailable = StatusCode(.unavailable)
    public static let dataLoss = StatusCode(.dataLoss)
    public static let unauthenticated = StatusCode(.unauthenticated)

    public var description: String {
        switch wrapped {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }
}
