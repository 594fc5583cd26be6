/// A validated, columnar view of a `StoredEventBatch` log record payload (`Proto/WIRE.md`
/// § 6): the event block's columns as dictionary references and integers, without a
/// `String` or an `Event` per event. The engine indexes a record from it
/// (`EventEngine.ingest(storedEventBatch:recordSeq:)`).
///
/// Validation is exactly that of `StoredEventBatch(decoding:limits:)`: the same payloads
/// are rejected, with the same `WireError` (code and field path), and never a crash
/// (`StoredEventBatchViewTests` checks this on corrupted and truncated payloads). Every
/// dictionary entry is checked to be UTF-8 and every referenced entry to respect the limit
/// of the field it is used for; properties are walked and checked (kinds, duplicate keys,
/// sizes) but not exposed.
///
/// Dictionary entries are byte ranges of the payload. A stored block may be non-canonical
/// (`StoredEventBatch.encoded(reusing:)`): entries may repeat and be in any order, so two
/// different references can name equal strings; compare entries by their bytes.
///
/// Borrowing: the view holds the payload's address, like `WireReader`. It must not be used
/// after the memory it was made from is released or changed (the `[UInt8]` entry point and
/// `withUnsafeBytes` scopes guarantee this); it is deliberately not `Sendable`.
public struct StoredEventBatchView {
    /// A nullable reference column's value for "absent".
    public static let absent: UInt32 = .max

    /// One event's attribution (`Proto/WIRE.md` § 6.5) as references into the dictionary.
    public struct AttributionRefs: Hashable, Sendable {
        public var source: UInt32
        public var medium: UInt32
        /// `absent` when the attribution has no campaign.
        public var campaign: UInt32
        public var rule: UInt32
        public var confidence: Attribution.Confidence
    }

    /// The payload the view reads entries from (see "Borrowing").
    let buffer: UnsafeRawBufferPointer
    /// Per dictionary entry: its start offset in `buffer` and its length in bytes.
    let entryStarts: [Int]
    let entryLengths: [Int32]

    /// The record's project.
    public internal(set) var project = ""
    /// Events in the batch (`N`).
    public internal(set) var count = 0
    /// Per event, a dictionary reference (always present).
    public internal(set) var name: [UInt32] = []
    public internal(set) var anonymousID: [UInt32] = []
    /// Per event, a dictionary reference or `absent` (also when the column is absent).
    public internal(set) var userID: [UInt32] = []
    public internal(set) var sessionID: [UInt32] = []
    public internal(set) var eventID: [UInt32] = []
    public internal(set) var url: [UInt32] = []
    public internal(set) var path: [UInt32] = []
    public internal(set) var referrer: [UInt32] = []
    /// Per event, its values (microseconds) or nil.
    public internal(set) var timestamp: [Int64?] = []
    public internal(set) var receivedAt: [Int64?] = []
    public internal(set) var seq: [UInt64?] = []
    /// Per event, an index into `attributions`, or -1 when the event has no attribution.
    public internal(set) var attributionIndex: [Int32] = []
    /// The attributions of the events that have one, in event order (`A` entries).
    public internal(set) var attributions: [AttributionRefs] = []

    init(buffer: UnsafeRawBufferPointer, entryStarts: [Int], entryLengths: [Int32]) {
        self.buffer = buffer
        self.entryStarts = entryStarts
        self.entryLengths = entryLengths
    }

    /// Entries in the block's dictionary.
    public var entryCount: Int { entryStarts.count }

    /// The UTF-8 bytes of dictionary entry `k` (`k < entryCount`, which every reference of
    /// the view satisfies), borrowed from the payload (see "Borrowing").
    @inline(__always)
    public func entry(_ k: UInt32) -> UnsafeBufferPointer<UInt8> {
        let i = Int(k)
        precondition(i < entryStarts.count, "dictionary reference out of range")
        // In bounds: the scanner recorded only ranges inside `buffer` (`StoredEventBlockScanner`).
        let start = buffer.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self) + entryStarts[i]
        return UnsafeBufferPointer(start: start, count: Int(entryLengths[i]))
    }

    /// Length in bytes of dictionary entry `k`.
    @inline(__always)
    public func entryLength(_ k: UInt32) -> Int { Int(entryLengths[Int(k)]) }

    /// Dictionary entry `k` as a `String` (validated UTF-8 when the view was made).
    public func string(_ k: UInt32) -> String { String(decoding: entry(k), as: UTF8.self) }

    /// Entry `k` as a `String`, nil for `absent`.
    public func string(optional k: UInt32) -> String? { k == Self.absent ? nil : string(k) }

    /// Attribution `k` of `attributions` with its strings.
    public func attribution(_ k: Int) -> Attribution {
        let a = attributions[k]
        return Attribution(
            source: string(a.source), medium: string(a.medium), campaign: string(optional: a.campaign),
            rule: string(a.rule), confidence: a.confidence)
    }

    /// Validates `payload`, a `StoredEventBatch` message body, and returns its view, which
    /// borrows `payload` (see "Borrowing"). Throws exactly what
    /// `StoredEventBatch(decoding: payload, limits: limits)` throws.
    public init(payload: UnsafeRawBufferPointer, limits: WireLimits = .logRecords) throws(WireError) {
        try limits.checkMessageSize(payload.count)
        var r = WireReader(payload, limits: limits)
        var project = ""
        var block: StoredEventBatchView?
        while let f = try r.nextField() {
            switch f.number {
            case 1: project = try r.readString(f, "project", maxBytes: r.limits.stringBytesMax)
            case 2:
                block = try r.readMessage(f, "events") { (r: inout WireReader) throws(WireError) in
                    try StoredEventBlockScanner.scan(&r)
                }
            default: try r.skip(f)
            }
        }
        try r.checkAtEnd()
        self = block ?? StoredEventBatchView(buffer: payload, entryStarts: [], entryLengths: [])
        self.project = project
    }

    /// Calls `body` with the view of `payload` (borrowed for the call only).
    public static func with<R>(
        _ payload: [UInt8], limits: WireLimits = .logRecords, _ body: (StoredEventBatchView) throws(WireError) -> R
    ) throws(WireError) -> R {
        let result: Result<R, WireError> = payload.withUnsafeBytes { raw in
            do throws(WireError) { return .success(try body(try StoredEventBatchView(payload: raw, limits: limits))) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
