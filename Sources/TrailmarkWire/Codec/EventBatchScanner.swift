/// The reader behind `ScannedEventBatch.scan`: the checks of `EventColumnsDecoder` and of
/// `EventValidator` (SEMANTICS §1) over the encoded block, without creating a `String` per
/// event. Any input either of them would reject *or change* throws (the message does not
/// matter: the caller falls back to the ordinary path, which words the error).
///
/// Borrows the message's bytes (`raw`) for the duration of `scan`.
struct EventBatchScanner {
    typealias F = EventColumns.Field
    private let raw: UnsafeRawBufferPointer
    private let limits: WireLimits
    private var entryOffsets: [UInt32] = []
    private var entryLengths: [UInt32] = []

    /// Thrown for anything the fast path does not take.
    private static let declined = WireError(.invalidValue, field: "", "not for the fast path")

    init(_ raw: UnsafeRawBufferPointer, limits: WireLimits) {
        self.raw = raw
        self.limits = limits
    }

    mutating func scan(storage: [UInt8]) throws(WireError) -> ScannedEventBatch {
        var r = WireReader(raw, limits: limits)
        var slots: [Range<Int>?]?
        var count = 0
        var sentAt: Int64?, batchID: UInt64?
        var seen = 0
        while let f = try r.nextField() {
            if (1...3).contains(f.number) {
                guard seen & (1 << f.number) == 0 else { throw Self.declined }  // given twice: the decoder keeps the last
                seen |= 1 << f.number
            }
            switch f.number {
            case 1:
                let block = try r.readMessage(f, "events") { (r: inout WireReader) throws(WireError) in try Self.columns(&r) }
                slots = block.slots
                count = block.count
            case 2: sentAt = try r.readSInt64(f, "sent_at")
            case 3: batchID = try r.readUInt64(f, "batch_id")
            default: try r.skip(f)
            }
        }
        guard let slots, count > 0, count <= limits.batchEventsMax else { throw Self.declined }
        if let sentAt { try Self.checkTime(sentAt) }
        // Server columns are dropped by validation (a change); name and anonymous id are required.
        guard !slots[F.receivedAt...F.user].contains(where: { $0 != nil }),
              let names = slots[F.name], names.count >= count, let anons = slots[F.anonymousID], anons.count >= count
        else { throw Self.declined }
        try dictionary(slots[F.dictionary] ?? 0 ..< 0)
        // One mark per dictionary entry an event references: all must be (the invariant of
        // `EventBlockLayout.allEntriesReferenced`).
        var marks = [UInt64](repeating: 0, count: (entryOffsets.count + 63) / 64)
        let scanned = try marks.withUnsafeMutableBufferPointer { marks throws(WireError) in
            try entryOffsets.withUnsafeBufferPointer { offsets throws(WireError) in
                try entryLengths.withUnsafeBufferPointer { lengths throws(WireError) in
                    try events(count, slots, Entries(offsets: offsets, lengths: lengths, marks: marks))
                }
            }
        }
        guard marks.reduce(0, { $0 + $1.nonzeroBitCount }) == entryOffsets.count else { throw Self.declined }
        let layout = EventBlockLayout(columns: slots, count: count, dictionaryEntries: entryOffsets.count, allEntriesReferenced: true)
        return ScannedEventBatch(
            sentAt: sentAt, batchID: batchID, block: EventBlock(storage: storage, layout: layout),
            entryOffsets: entryOffsets, entryLengths: entryLengths, eventIDRefs: scanned.eventIDs,
            urlRefs: scanned.urls, referrerRefs: scanned.referrers, timestamps: scanned.timestamps)
    }

    /// Where the block's columns lie, and its event count (each field at most once).
    private static func columns(_ r: inout WireReader) throws(WireError) -> (slots: [Range<Int>?], count: Int) {
        var slots = [Range<Int>?](repeating: nil, count: F.last + 1)
        var count: UInt64?
        while let f = try r.nextField() {
            if f.number == F.count {
                guard count == nil else { throw declined }
                count = try r.readUInt64(f, "count")
            } else if f.number >= 1 && f.number <= F.last {
                guard slots[f.number] == nil else { throw declined }
                slots[f.number] = try r.readSlice(f, EventColumnsDecoder.columnName(f.number))
            } else {
                try r.skip(f)
            }
        }
        guard let count, count <= UInt64(r.limits.batchEventsMax) else { throw declined }
        return (slots, Int(count))
    }

    /// Records each entry's place and checks its length and UTF-8 (a first pass counts
    /// them, so the tables are allocated once).
    private mutating func dictionary(_ range: Range<Int>) throws(WireError) {
        var c = WireReader(raw, limits: limits).subReader(range)
        var entries = 0
        while !c.isAtEnd {
            c.index += try c.readLength(maximum: limits.stringBytesMax)
            entries += 1
        }
        guard entries <= limits.dictionaryEntriesMax else { throw Self.declined }
        entryOffsets.reserveCapacity(entries)
        entryLengths.reserveCapacity(entries)
        c = WireReader(raw, limits: limits).subReader(range)
        while !c.isAtEnd {
            let length = try c.readLength(maximum: limits.stringBytesMax)
            try c.validateUTF8(start: c.index, count: length)
            entryOffsets.append(UInt32(c.index))
            entryLengths.append(UInt32(length))
            c.index += length
        }
    }

    /// The dictionary's entries and the marks of those referenced so far, borrowed for the
    /// duration of `events`. Invariant: `offsets` and `lengths` have one element per entry
    /// and `marks` a bit per entry (`(count + 63) / 64` words), so an index checked against
    /// `lengths.count` is in bounds for all three.
    private struct Entries {
        let offsets: UnsafeBufferPointer<UInt32>
        let lengths: UnsafeBufferPointer<UInt32>
        let marks: UnsafeMutableBufferPointer<UInt64>

        /// Entry `k`'s length, which must lie in `minBytes...maxBytes`; marks it used.
        @inline(__always)
        func use(_ k: UInt64, _ minBytes: Int, _ maxBytes: Int) throws(WireError) -> Int {
            guard k < UInt64(lengths.count) else { throw declined }
            let index = Int(k)
            let length = Int(lengths[index])
            guard length >= minBytes && length <= maxBytes else { throw declined }
            marks[index >> 6] |= 1 << UInt64(index & 63)
            return length
        }

        /// A nullable reference as stored (entry + 1, 0 = absent); a present value must be
        /// non-empty (an empty optional is normalised away: a change) and at most `maxBytes`.
        @inline(__always)
        func optional(_ c: inout WireReader, _ present: Bool, _ maxBytes: Int) throws(WireError) -> UInt32 {
            guard present else { return 0 }
            let k = try c.readVarint()
            guard k != 0 else { return 0 }
            _ = try use(k - 1, 1, maxBytes)
            return UInt32(k)
        }
    }

    private static func checkTime(_ t: Int64) throws(WireError) {
        guard t >= 0 && t <= WireLimits.timestampMax else { throw declined }
    }

    private func events(_ n: Int, _ slots: [Range<Int>?], _ entries: Entries) throws(WireError) -> (eventIDs: [UInt32], urls: [UInt32], referrers: [UInt32], timestamps: [Int64?]) {
        // Column by column (each check is per event and any failure declines the batch, so
        // the order is free): short loops over one cursor each.
        let r = WireReader(raw, limits: limits)
        func cursor(_ field: Int) -> WireReader { r.subReader(slots[field] ?? 0 ..< 0) }
        var cName = cursor(F.name)
        for _ in 0 ..< n { _ = try entries.use(try cName.readVarint(), 1, limits.eventNameBytesMax) }
        var cAnon = cursor(F.anonymousID), cUserID = cursor(F.userID)
        let hasUserID = slots[F.userID] != nil
        for _ in 0 ..< n {
            let anonBytes = try entries.use(try cAnon.readVarint(), 0, limits.anonymousIDBytesMax)
            let user = try entries.optional(&cUserID, hasUserID, limits.userIDBytesMax)
            guard anonBytes > 0 || user != 0 else { throw Self.declined }
        }
        guard cName.isAtEnd, cAnon.isAtEnd, cUserID.isAtEnd else { throw Self.declined }
        /// Column `field`'s nullable references (all 0 when it is absent), checked; kept
        /// only when `keep` (else empty).
        func nullable(_ field: Int, _ maxBytes: Int, keep: Bool) throws(WireError) -> [UInt32] {
            var refs = [UInt32](repeating: 0, count: keep ? n : 0)
            guard slots[field] != nil else { return refs }
            var c = cursor(field)
            for i in 0 ..< n {
                let ref = try entries.optional(&c, true, maxBytes)
                if keep { refs[i] = ref }
            }
            guard c.isAtEnd else { throw Self.declined }
            return refs
        }
        _ = try nullable(F.sessionID, limits.sessionIDBytesMax, keep: false)
        let eventIDs = try nullable(F.eventID, limits.eventIDBytesMax, keep: true)
        let urls = try nullable(F.url, limits.urlBytesMax, keep: true)
        _ = try nullable(F.path, limits.urlBytesMax, keep: false)
        let referrers = try nullable(F.referrer, limits.urlBytesMax, keep: true)
        var timestamp = try DeltaColumnReader(r, slots, F.timestamp, F.timestampPresent, n)
        var timestamps = [Int64?](repeating: nil, count: n)
        for i in 0 ..< n {
            if let t = try timestamp.next(i) {
                try Self.checkTime(t)
                timestamps[i] = t
            }
        }
        var cCount = cursor(F.propertyCount), cKey = cursor(F.propertyKey), cValue = cursor(F.propertyValue)
        if slots[F.propertyCount] != nil {
            var keys = PropertyKeyChecker(dictionaryCount: entries.lengths.count)
            for i in 0 ..< n {
                let k = try cCount.readVarint()
                guard k <= UInt64(limits.propertiesCountMax), k <= UInt64(cKey.remainingBytes) else { throw Self.declined }
                if k > 0 { try properties(Int(k), &cKey, &cValue, &keys, i, entries) }
            }
        }
        guard timestamp.values.isAtEnd, cCount.isAtEnd, cKey.isAtEnd, cValue.isAtEnd else { throw Self.declined }
        return (eventIDs, urls, referrers, timestamps)
    }

    /// One event's properties: keys unique (compared as strings, as the decoder does),
    /// values well-formed and finite, and the size estimate of `EventValidator` within
    /// `propertiesBytesMax` (it bounds the decoder's own measure from above).
    private func properties(
        _ k: Int, _ cKey: inout WireReader, _ cValue: inout WireReader, _ keys: inout PropertyKeyChecker, _ i: Int, _ entries: Entries
    ) throws(WireError) {
        var size = 2
        for _ in 0 ..< k {
            let keyIndex = try cKey.readVarint()
            let length = try entries.use(keyIndex, 0, limits.propertyKeyBytesMax)
            size += length + 6
            let offset = Int(entries.offsets[Int(keyIndex)])
            let raw = self.raw
            guard keys.firstUse(of: Int(keyIndex), in: i, string: {
                String(decoding: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + length]), as: UTF8.self)
            }) else { throw Self.declined }
            switch try cValue.readByte() {
            case EventColumns.ValueKind.null, EventColumns.ValueKind.boolFalse, EventColumns.ValueKind.boolTrue:
                size += 5
            case EventColumns.ValueKind.int:
                _ = try cValue.readVarint()
                size += 24
            case EventColumns.ValueKind.double:
                guard Double(bitPattern: try cValue.readFixed64()).isFinite else { throw Self.declined }
                size += 24
            case EventColumns.ValueKind.string:
                size += try entries.use(try cValue.readVarint(), 0, limits.propertiesBytesMax)
            default:
                throw Self.declined
            }
            guard size <= limits.propertiesBytesMax else { throw Self.declined }
        }
    }
}
