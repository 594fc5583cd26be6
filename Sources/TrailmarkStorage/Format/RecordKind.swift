/// The kind byte of a log record (`docs/STORAGE.md` § Record).
///
/// Storage treats payloads as opaque bytes; the kind tells the services and the engine which
/// codec message the payload holds. A struct of static values so new kinds never break
/// callers; unknown kinds read back unchanged. Kind 0 is never valid, so an all-zero header
/// (the preallocated tail of a segment) can never parse as a record.
public struct RecordKind: Hashable, Sendable, CustomStringConvertible {
    /// The byte stored in the record header (1...255).
    public let rawValue: UInt8

    /// Wraps a stored byte; `nil` for 0, which is reserved for "no record".
    public init?(rawValue: UInt8) {
        guard rawValue != 0 else { return nil }
        self.rawValue = rawValue
    }

    private init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// An encoded `EventBatch` accepted by the ingest service.
    public static let eventBatch = RecordKind(1)
    /// An encoded `IdentifyBatch` accepted by the identity service.
    public static let identifyBatch = RecordKind(2)
    /// A forget request (tombstone): the user whose records compaction later drops.
    public static let forget = RecordKind(3)
    /// Alias of `forget`, the log-structured name.
    public static let tombstone = RecordKind.forget
    /// A marker written by the services (e.g. an engine snapshot boundary); opaque to storage.
    public static let checkpoint = RecordKind(4)

    public var description: String {
        switch rawValue {
        case 1: "eventBatch"
        case 2: "identifyBatch"
        case 3: "forget"
        case 4: "checkpoint"
        default: "kind(\(rawValue))"
        }
    }
}
