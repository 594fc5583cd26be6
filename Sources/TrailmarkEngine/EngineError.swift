/// A query the engine cannot answer as asked (API.md `invalid_query`): `field` names the
/// offending input (`steps`, `windows[2]`, `cursor`, …) and `message` says why.
public struct EngineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; a struct over a private enum so new codes never break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable { case invalidQuery = "invalid_query" }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The query is malformed or combines options that do not go together.
        public static let invalidQuery = Code(.invalidQuery)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    public var field: String
    public var message: String

    public init(_ code: Code = .invalidQuery, field: String, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(code) at \(field): \(message)" }
}
