/// Every limit the decoder enforces, with its unit last in the name (`Proto/WIRE.md` § Limits).
///
/// Defaults follow SEMANTICS.md §1 (string sizes) and API.md; servers may raise or lower
/// the message and batch limits by configuration, never the per-field ones below the
/// semantic limits.
public struct WireLimits: Hashable, Sendable {
    /// Largest message body accepted (default 4 MiB).
    public var messageBytesMax: Int = 4 << 20
    /// Most events in one `EventBatch` (default 10,000).
    public var batchEventsMax: Int = 10_000
    /// Most identify calls in one `IdentifyBatch` (default 10,000).
    public var batchIdentifiesMax: Int = 10_000
    /// Most entries in a batch's string dictionary.
    public var dictionaryEntriesMax: Int = 1 << 20
    /// Event name length (SEMANTICS §1: 1..200 bytes).
    public var eventNameBytesMax: Int = 200
    /// Anonymous id length (0..200 bytes).
    public var anonymousIDBytesMax: Int = 200
    /// User id length (1..256 bytes).
    public var userIDBytesMax: Int = 256
    /// Session id length (..128 bytes).
    public var sessionIDBytesMax: Int = 128
    /// Event id length (..128 bytes).
    public var eventIDBytesMax: Int = 128
    /// URL, path and referrer length (..2048 bytes each).
    public var urlBytesMax: Int = 2048
    /// Property key length (..256 bytes).
    public var propertyKeyBytesMax: Int = 256
    /// Encoded size of one event's properties (64 KiB).
    public var propertiesBytesMax: Int = 64 << 10
    /// Most properties on one event (bounded by the 64 KiB size; stated explicitly for the decoder).
    public var propertiesCountMax: Int = 4096
    /// Longest string of any other kind (query parameters, experiment names, messages).
    public var stringBytesMax: Int = 64 << 10
    /// Most items of any other repeated field (funnel steps, filters, result rows).
    public var repeatedCountMax: Int = 1 << 20
    /// Deepest nesting of embedded messages.
    public var nestingDepthMax: Int = 16

    public init() {}

    public static let `default` = WireLimits()
}

extension WireLimits {
    /// Largest event or identify time accepted (SEMANTICS §1: years 1970...9999):
    /// 9999-12-31T23:59:59.999999Z in µs since the epoch. `EventValidator` and the ingest
    /// fast path (`EventBatchScanner`) share it.
    public static let timestampMax: Int64 = 253_402_300_799_999_999
}
