/// The columnar event block (`Proto/WIRE.md` § 6), the body of `EventBatch.events`,
/// `StoredEventBatch.events`, `EventsPage.rows` and `UserResult.prelogin`.
///
/// Every string of the block is stored once in a per-block dictionary and referenced by
/// index; timestamps, received times and seqs are zigzag deltas from the previous present
/// value; optional scalars use presence bitmaps; optional strings use nullable references
/// (`0` = absent, `k` = dictionary entry `k - 1`); properties are a per-event count plus
/// key and typed-value columns.
enum EventColumns {
    /// Field numbers of `message EventColumns` (WIRE.md § 6.1).
    enum Field {
        static let dictionary = 1
        static let count = 2
        static let name = 3
        static let anonymousID = 4
        static let userID = 5
        static let timestamp = 6
        static let timestampPresent = 7
        static let sessionID = 8
        static let eventID = 9
        static let url = 10
        static let path = 11
        static let referrer = 12
        static let propertyCount = 13
        static let propertyKey = 14
        static let propertyValue = 15
        static let receivedAt = 16
        static let receivedAtPresent = 17
        static let source = 18
        static let medium = 19
        static let campaign = 20
        static let sourceRule = 21
        static let sourceConfidence = 22
        static let seq = 23
        static let seqPresent = 24
        static let user = 25
        /// Highest field number of the block (for the decoder's slot table).
        static let last = 25
    }

    /// Kind byte of a property value in the `property_value` column (WIRE.md § 6.4).
    enum ValueKind {
        static let null: UInt8 = 0
        static let boolFalse: UInt8 = 1
        static let boolTrue: UInt8 = 2
        static let int: UInt8 = 3
        static let double: UInt8 = 4
        static let string: UInt8 = 5
    }

    /// Writes the fields of an `EventColumns` message for `events` (and, for query rows,
    /// each row's stitched `users`, same count as `events`).
    static func encode(_ events: [Event], users: [String?]? = nil, into w: inout WireWriter) {
        precondition(users == nil || users!.count == events.count, "one stitched user per row")  // `!` guarded by `users == nil ||`
        guard !events.isEmpty else { return }
        var e = EventColumnsEncoder(count: events.count)
        // Borrowed through the buffer: iterating the array copied each event (a retain per string).
        events.withUnsafeBufferPointer { events in
            for i in events.indices { e.add(events[i], user: users?[i], index: i) }
        }
        e.finish(into: &w)
    }
}

/// Accumulates the columns of one block; `finish` writes them in field order.
/// Interning order is row-major (WIRE.md § 6.2), so the dictionary — and thus the whole
/// encoding — is a function of the events alone.
struct EventColumnsEncoder {
    private let count: Int
    private var dictionary: StringInterner
    private var name, anonymousID, userID, sessionID, eventID, url, path, referrer: WireWriter
    private var propertyCount, propertyKey, propertyValue: WireWriter
    private var attribution = AttributionColumns()
    private var user: WireWriter
    private var timestamp, receivedAt, seq: DeltaColumn
    private var anyUserID = false, anySession = false, anyEventID = false, anyURL = false
    private var anyPath = false, anyReferrer = false, anyCampaign = false, anyUser = false
    private var propertiesTotal = 0

    init(count: Int) {
        self.count = count
        dictionary = StringInterner(expectedStrings: count * 4)
        name = WireWriter(capacity: count * 2)
        anonymousID = WireWriter(capacity: count * 2)
        userID = WireWriter(capacity: count)
        sessionID = WireWriter(capacity: count)
        eventID = WireWriter(capacity: count * 2)
        url = WireWriter(capacity: count)
        path = WireWriter(capacity: count)
        referrer = WireWriter(capacity: count)
        propertyCount = WireWriter(capacity: count)
        propertyKey = WireWriter(capacity: count * 2)
        propertyValue = WireWriter(capacity: count * 4)
        user = WireWriter(capacity: 0)
        timestamp = DeltaColumn(count: count)
        receivedAt = DeltaColumn(count: count)
        seq = DeltaColumn(count: count)
    }

    private mutating func intern(_ s: String) -> UInt64 { dictionary.intern(s) }

    /// A nullable reference: 0 for `nil`, else the dictionary index plus one.
    private mutating func nullable(_ s: String?) -> UInt64 {
        guard let s else { return 0 }
        return intern(s) + 1
    }

    mutating func add(_ e: Event, user stitched: String?, index: Int) {
        name.appendVarint(intern(e.event))
        anonymousID.appendVarint(intern(e.anonymousID))
        let userIDRef = nullable(e.userID)
        userID.appendVarint(userIDRef)
        if userIDRef != 0 { anyUserID = true }
        timestamp.append(e.timestamp, index: index)
        let sessionIDRef = nullable(e.sessionID)
        sessionID.appendVarint(sessionIDRef)
        if sessionIDRef != 0 { anySession = true }
        let eventIDRef = nullable(e.eventID)
        eventID.appendVarint(eventIDRef)
        if eventIDRef != 0 { anyEventID = true }
        let urlRef = nullable(e.url)
        url.appendVarint(urlRef)
        if urlRef != 0 { anyURL = true }
        let pathRef = nullable(e.path)
        path.appendVarint(pathRef)
        if pathRef != 0 { anyPath = true }
        let referrerRef = nullable(e.referrer)
        referrer.appendVarint(referrerRef)
        if referrerRef != 0 { anyReferrer = true }
        propertyCount.appendVarint(UInt64(e.properties.count))
        propertiesTotal += e.properties.count
        for p in e.properties.entries {
            propertyKey.appendVarint(intern(p.key))
            switch p.value {
            case .null: propertyValue.appendByte(EventColumns.ValueKind.null)
            case .bool(let b): propertyValue.appendByte(b ? EventColumns.ValueKind.boolTrue : EventColumns.ValueKind.boolFalse)
            case .int(let i):
                propertyValue.appendByte(EventColumns.ValueKind.int)
                propertyValue.appendVarint(zigzagEncode(i))
            case .double(let d):
                propertyValue.appendByte(EventColumns.ValueKind.double)
                propertyValue.appendFixed64(d.bitPattern)
            case .string(let s):
                propertyValue.appendByte(EventColumns.ValueKind.string)
                propertyValue.appendVarint(intern(s))
            }
        }
        receivedAt.append(e.receivedAt, index: index)
        attribution.add(e.attribution, &dictionary, base: 0)
        seq.append(e.seq.map { Int64(bitPattern: $0) }, index: index)
        let userRef = nullable(stitched)
        user.appendVarint(userRef)
        if userRef != 0 { anyUser = true }
    }

    /// Writes the block's fields in ascending order, omitting what WIRE.md § 6.3 omits.
    mutating func finish(into w: inout WireWriter) {
        typealias F = EventColumns.Field
        w.writeBytes(F.dictionary, dictionary.dictionary.bytes)
        w.writeUInt64(F.count, UInt64(count))
        w.writeBytes(F.name, name.bytes)
        w.writeBytes(F.anonymousID, anonymousID.bytes)
        if anyUserID { w.writeBytes(F.userID, userID.bytes) }
        timestamp.write(values: F.timestamp, present: F.timestampPresent, into: &w)
        if anySession { w.writeBytes(F.sessionID, sessionID.bytes) }
        if anyEventID { w.writeBytes(F.eventID, eventID.bytes) }
        if anyURL { w.writeBytes(F.url, url.bytes) }
        if anyPath { w.writeBytes(F.path, path.bytes) }
        if anyReferrer { w.writeBytes(F.referrer, referrer.bytes) }
        if propertiesTotal > 0 {
            w.writeBytes(F.propertyCount, propertyCount.bytes)
            w.writeBytes(F.propertyKey, propertyKey.bytes)
            w.writeBytes(F.propertyValue, propertyValue.bytes)
        }
        receivedAt.write(values: F.receivedAt, present: F.receivedAtPresent, into: &w)
        attribution.write(into: &w)
        seq.write(values: F.seq, present: F.seqPresent, into: &w)
        if anyUser { w.writeBytes(F.user, user.bytes) }
    }
}

/// The attribution columns of a block (WIRE.md § 6.1 fields 18–22), shared by the canonical
/// encoder and the transcoder (`StoredEventBatch.encoded(reusing:)`).
struct AttributionColumns {
    private var source = WireWriter(capacity: 0), medium = WireWriter(capacity: 0)
    private var campaign = WireWriter(capacity: 0), rule = WireWriter(capacity: 0)
    private var confidence = WireWriter(capacity: 0)
    private var attributed = 0, anyCampaign = false
    /// The last few distinct attributions added and their references (`Interned`): a batch
    /// repeats a handful of sources, and four dictionary lookups per event cost more than
    /// comparing against them.
    private var recent: [Interned] = []
    private var nextRecent = 0
    private static let recentMax = 4

    /// An attribution's dictionary references, without `base`.
    struct Interned {
        var attribution: Attribution
        var source, medium, campaign, rule: UInt64

        /// Whether `a` has the same bytes (never `==`, which equates canonically equivalent
        /// strings that the dictionary keeps apart).
        func matches(_ a: Attribution) -> Bool {
            a.confidence == attribution.confidence
                && ByteEquality.equal(a.source, attribution.source) && ByteEquality.equal(a.medium, attribution.medium)
                && ByteEquality.equal(a.rule, attribution.rule)
                && (a.campaign == nil) == (attribution.campaign == nil)
                && ByteEquality.equal(a.campaign ?? "", attribution.campaign ?? "")
        }
    }

    /// Adds one event's attribution, interning its strings in `dictionary`; `base` is added
    /// to the interner's indices (the transcoder's entries follow the client's; one value
    /// for the life of the columns).
    mutating func add(_ a: Attribution?, _ dictionary: inout StringInterner, base: UInt64) {
        guard let a else { return addNone() }
        add(recent.first { $0.matches(a) } ?? intern(a, &dictionary), base: base)
    }

    /// Adds one event's attribution by references `intern` returned (for a caller that
    /// interns each distinct attribution of a block once).
    mutating func add(_ refs: Interned, base: UInt64) {
        attributed += 1
        source.appendVarint(base + refs.source + 1)
        medium.appendVarint(base + refs.medium)
        let campaignRef = refs.attribution.campaign == nil ? 0 : base + refs.campaign + 1
        campaign.appendVarint(campaignRef)
        if campaignRef != 0 { anyCampaign = true }
        rule.appendVarint(base + refs.rule)
        confidence.appendVarint(UInt64(refs.attribution.confidence.rawValue))
    }

    init() {}

    /// The columns of `count` events that all have an attribution: event `i` the one
    /// `interned[index[i]]` names (as `add(_:base:)` for each event in turn, one column at
    /// a time: the ingest fast path).
    init(interned: [Interned], index: [UInt32], base: UInt64) {
        let n = index.count
        attributed = n
        source = WireWriter(written: VarintColumn.encode(count: n) { base + interned[Int(index[$0])].source + 1 })
        medium = WireWriter(written: VarintColumn.encode(count: n) { base + interned[Int(index[$0])].medium })
        let campaignRefs = interned.map { $0.attribution.campaign == nil ? 0 : base + $0.campaign + 1 }
        anyCampaign = n > 0 && index.contains { campaignRefs[Int($0)] != 0 }
        campaign = WireWriter(written: VarintColumn.encode(count: n) { campaignRefs[Int(index[$0])] })
        rule = WireWriter(written: VarintColumn.encode(count: n) { base + interned[Int(index[$0])].rule })
        confidence = WireWriter(written: VarintColumn.encode(count: n) { UInt64(interned[Int(index[$0])].attribution.confidence.rawValue) })
    }

    /// An event without an attribution.
    mutating func addNone() {
        source.appendByte(0)
    }

    /// Interns `a`'s strings in field order (as the canonical encoding requires) and
    /// remembers them, replacing the oldest remembered attribution when full.
    mutating func intern(_ a: Attribution, _ dictionary: inout StringInterner) -> Interned {
        let source = dictionary.intern(a.source)
        let medium = dictionary.intern(a.medium)
        let campaign = a.campaign.map { dictionary.intern($0) } ?? 0
        let refs = Interned(attribution: a, source: source, medium: medium, campaign: campaign, rule: dictionary.intern(a.rule))
        if recent.count < Self.recentMax {
            recent.append(refs)
        } else {
            recent[nextRecent] = refs
            nextRecent = (nextRecent + 1) % Self.recentMax
        }
        return refs
    }

    /// Bytes `write` writes.
    var encodedSize: Int {
        guard attributed > 0 else { return 0 }
        typealias F = EventColumns.Field
        return WireWriter.bytesFieldSize(F.source, source.count) + WireWriter.bytesFieldSize(F.medium, medium.count)
            + (anyCampaign ? WireWriter.bytesFieldSize(F.campaign, campaign.count) : 0)
            + WireWriter.bytesFieldSize(F.sourceRule, rule.count) + WireWriter.bytesFieldSize(F.sourceConfidence, confidence.count)
    }

    /// Writes fields 18–22, or nothing when no event has an attribution (WIRE.md § 6.3).
    func write(into w: inout WireWriter) {
        guard attributed > 0 else { return }
        typealias F = EventColumns.Field
        w.writeBytes(F.source, source.bytes)
        w.writeBytes(F.medium, medium.bytes)
        if anyCampaign { w.writeBytes(F.campaign, campaign.bytes) }
        w.writeBytes(F.sourceRule, rule.bytes)
        w.writeBytes(F.sourceConfidence, confidence.bytes)
    }
}

/// An optional 64-bit column: zigzag deltas of the present values (from 0 for the first)
/// plus a presence bitmap (bit `i % 8` of byte `i / 8` set when event `i` has a value).
struct DeltaColumn {
    private var values: WireWriter
    private var bitmap: [UInt8]
    private var present = 0
    private var previous: Int64 = 0
    private let count: Int

    init(count: Int) {
        self.count = count
        values = WireWriter(capacity: count * 2)
        bitmap = [UInt8](repeating: 0, count: (count + 7) / 8)
    }

    /// The column of `count` events that all have a value, event `i`'s being `value(i)`
    /// (as `append` for each in turn, in one pass: the ingest fast path).
    init(count: Int, allPresent value: (Int) -> Int64) {
        self.count = count
        bitmap = [UInt8](repeating: 0xFF, count: (count + 7) / 8)  // not written: every event has a value
        var previous: Int64 = 0
        values = WireWriter(written: VarintColumn.encode(count: count) { i in
            let v = value(i)
            defer { previous = v }
            return zigzagEncode(v &- previous)
        })
        self.previous = previous
        present = count
    }

    mutating func append(_ value: Int64?, index: Int) {
        guard let value else { return }
        values.appendVarint(zigzagEncode(value &- previous))
        previous = value
        present += 1
        bitmap[index >> 3] |= 1 << UInt8(index & 7)
    }

    /// Bytes `write(values:present:into:)` writes.
    func encodedSize(values valuesField: Int, present presentField: Int) -> Int {
        guard present > 0 else { return 0 }
        return WireWriter.bytesFieldSize(valuesField, values.count) + (present < count ? WireWriter.bytesFieldSize(presentField, bitmap.count) : 0)
    }

    /// Values only when every event has one; nothing when none has; both otherwise.
    func write(values valuesField: Int, present presentField: Int, into w: inout WireWriter) {
        guard present > 0 else { return }
        w.writeBytes(valuesField, values.bytes)
        if present < count { w.writeBytes(presentField, bitmap) }
    }
}
