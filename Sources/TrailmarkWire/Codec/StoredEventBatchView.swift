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
    /// Per event, `Ref.stride` references (`Ref` order): the dictionary entries of its
    /// string fields (`absent` for a missing nullable one) and its index into `attributions`
    /// (`absent` without one). One flat array, written once by the scanner.
    var refs: [UInt32] = []
    /// Per event, its timestamp, received time and seq (bit patterns), valid where the
    /// matching bit of `present` is set.
    var values: [Int64] = []
    /// Per event: bit 0 timestamp, bit 1 received time, bit 2 seq present.
    var present: [UInt8] = []
    /// The attributions of the events that have one, in event order (`A` entries).
    public internal(set) var attributions: [AttributionRefs] = []

    /// Positions of an event's references in `refs`.
    enum Ref {
        static let name = 0, anonymousID = 1, userID = 2, sessionID = 3, eventID = 4
        static let url = 5, path = 6, referrer = 7, attribution = 8
        static let stride = 9
    }

    @inline(__always)
    private func ref(_ i: Int, _ field: Int) -> UInt32 { refs[i &* Ref.stride &+ field] }

    @inline(__always)
    private func value(_ i: Int, _ slot: Int) -> Int64? {
        present[i] >> UInt8(slot) & 1 == 1 ? values[i &* 3 &+ slot] : nil
    }

    /// Event `i`'s name (a dictionary reference; `i < count` for every per-event accessor).
    @inline(__always) public func name(_ i: Int) -> UInt32 { ref(i, Ref.name) }
    /// Event `i`'s anonymous id (a reference; the entry may be empty).
    @inline(__always) public func anonymousID(_ i: Int) -> UInt32 { ref(i, Ref.anonymousID) }
    /// Event `i`'s nullable references: `absent` when it has none (also when the whole
    /// column is absent).
    @inline(__always) public func userID(_ i: Int) -> UInt32 { ref(i, Ref.userID) }
    @inline(__always) public func sessionID(_ i: Int) -> UInt32 { ref(i, Ref.sessionID) }
    @inline(__always) public func eventID(_ i: Int) -> UInt32 { ref(i, Ref.eventID) }
    @inline(__always) public func url(_ i: Int) -> UInt32 { ref(i, Ref.url) }
    @inline(__always) public func path(_ i: Int) -> UInt32 { ref(i, Ref.path) }
    @inline(__always) public func referrer(_ i: Int) -> UInt32 { ref(i, Ref.referrer) }
    /// Event `i`'s index into `attributions`, nil when it has no attribution.
    @inline(__always) public func attributionIndex(_ i: Int) -> Int? {
        let a = ref(i, Ref.attribution)
        return a == Self.absent ? nil : Int(a)
    }
    /// Event `i`'s timestamp / received time (microseconds) and seq, nil when absent.
    @inline(__always) public func timestamp(_ i: Int) -> Int64? { value(i, 0) }
    @inline(__always) public func receivedAt(_ i: Int) -> Int64? { value(i, 1) }
    @inline(__always) public func seq(_ i: Int) -> UInt64? { value(i, 2).map { UInt64(bitPattern: $0) } }

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
