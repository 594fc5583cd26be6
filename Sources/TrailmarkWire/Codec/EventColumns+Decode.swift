/// Decoding of the columnar event block (`Proto/WIRE.md` § 6), the ingest hot path.
///
/// One pass records where each column lies (zero-copy byte ranges), a second decodes the
/// dictionary (each string validated and created once), a third walks the events with one
/// cursor per column. Every count is checked against the bytes that could hold it before
/// anything is reserved. Errors name the event and column: `events[3].timestamp`.
struct EventColumnsDecoder {
    typealias F = EventColumns.Field

    private let limits: WireLimits
    private var strings: [String] = []
    private var lengths: [Int] = []
    /// One bit per dictionary entry, set when an event references it (for
    /// `EventBlockLayout.allEntriesReferenced`).
    private var referenced: [UInt64] = []
    private var referencedCount = 0

    /// Decodes the block's fields from `r`. `countMax` bounds the event count; with
    /// `wantUsers` the stitched-user column (query rows) is read. Error paths start at the
    /// event (`[3].timestamp`); the enclosing field's name is prepended by `readMessage`.
    static func decode(
        _ r: inout WireReader, countMax: Int, wantUsers: Bool
    ) throws(WireError) -> (events: [Event], users: [String?]) {
        let block = try decodeBlock(&r, countMax: countMax, wantUsers: wantUsers)
        return (block.events, block.users)
    }

    /// `decode`, also returning where the block's columns lie in the reader's buffer
    /// (`EventBlockLayout`, for `StoredEventBatch.encoded(reusing:)`).
    static func decodeBlock(
        _ r: inout WireReader, countMax: Int, wantUsers: Bool
    ) throws(WireError) -> (events: [Event], users: [String?], layout: EventBlockLayout) {
        let (slots, n) = try columns(&r, countMax: countMax)
        var decoder = EventColumnsDecoder(limits: r.limits)
        try decoder.decodeDictionary(r.subReader(slots[F.dictionary] ?? 0 ..< 0))
        let (events, users) = try decoder.decodeEvents(n, slots, r, wantUsers: wantUsers)
        let layout = EventBlockLayout(
            columns: slots, count: n, dictionaryEntries: decoder.strings.count,
            allEntriesReferenced: decoder.referencedCount == decoder.strings.count)
        return (events, users, layout)
    }

    /// Reads the block's fields from `r`: where each column lies (by field number) and the
    /// event count, checked against `countMax` and against the bytes of the `name` and
    /// `anonymous_id` columns (also for `StoredEventBlockScanner`).
    static func columns(_ r: inout WireReader, countMax: Int) throws(WireError) -> (slots: [Range<Int>?], count: Int) {
        var slots = [Range<Int>?](repeating: nil, count: F.last + 1)
        var count: UInt64 = 0
        while let f = try r.nextField() {
            if f.number == F.count {
                count = try r.readUInt64(f, "count")
            } else if f.number >= 1 && f.number <= F.last {
                slots[f.number] = try r.readSlice(f, Self.columnName(f.number))
            } else {
                try r.skip(f)
            }
        }
        guard count <= UInt64(countMax) else {
            throw WireError(.limitExceeded, field: "", "\(count) events exceed the maximum of \(countMax)")
        }
        let n = Int(count)
        for column in [F.name, F.anonymousID] where n > 0 {
            guard let slot = slots[column] else {
                throw WireError(.missingField, field: "\(Self.columnName(column))", "column missing for \(n) events")
            }
            guard slot.count >= n else {
                throw WireError(.truncated, field: "\(Self.columnName(column))", "column of \(slot.count) bytes cannot hold \(n) entries")
            }
        }
        return (slots, n)
    }

    private init(limits: WireLimits) {
        self.limits = limits
    }

    private mutating func decodeDictionary(_ reader: WireReader) throws(WireError) {
        var c = reader
        var entries = 0
        while !c.isAtEnd {
            do {
                c.index += try c.readLength(maximum: limits.stringBytesMax)
            } catch {
                throw error.nested(in: "dictionary[\(entries)]")
            }
            entries += 1
            guard entries <= limits.dictionaryEntriesMax else {
                throw WireError(.limitExceeded, field: "dictionary", "more than \(limits.dictionaryEntriesMax) entries")
            }
        }
        strings.reserveCapacity(entries)
        lengths.reserveCapacity(entries)
        referenced = [UInt64](repeating: 0, count: (entries + 63) / 64)
        c = reader
        for k in 0 ..< entries {
            do {
                let length = try c.readLength(maximum: limits.stringBytesMax)
                strings.append(try c.makeString(start: c.index, count: length))
                lengths.append(length)
                c.index += length
            } catch {
                throw error.nested(in: "dictionary[\(k)]")
            }
        }
    }

    private func fail(_ error: WireError, _ i: Int, _ field: StaticString) -> WireError {
        error.nested(in: "[\(i)].\(field)")
    }

    /// Dictionary entry `k`, at most `maxBytes` long.
    @inline(__always)
    private mutating func entry(_ k: UInt64, _ i: Int, _ field: StaticString, _ maxBytes: Int) throws(WireError) -> String {
        guard k < UInt64(strings.count) else {
            throw fail(WireError(.invalidValue, field: "", "dictionary index \(k) out of range (\(strings.count) entries)"), i, field)
        }
        let index = Int(k)
        guard lengths[index] <= maxBytes else {
            throw fail(WireError(.limitExceeded, field: "", "\(lengths[index]) bytes exceed the maximum of \(maxBytes)"), i, field)
        }
        let bit: UInt64 = 1 << UInt64(index & 63)
        if referenced[index >> 6] & bit == 0 {
            referenced[index >> 6] |= bit
            referencedCount += 1
        }
        return strings[index]
    }

    @inline(__always)
    private func varint(_ c: inout WireReader, _ i: Int, _ field: StaticString) throws(WireError) -> UInt64 {
        do { return try c.readVarint() } catch { throw fail(error, i, field) }
    }

    @inline(__always)
    private mutating func ref(_ c: inout WireReader, _ i: Int, _ field: StaticString, _ maxBytes: Int) throws(WireError) -> String {
        try entry(try varint(&c, i, field), i, field, maxBytes)
    }

    @inline(__always)
    private mutating func nullableRef(_ c: inout WireReader, _ present: Bool, _ i: Int, _ field: StaticString, _ maxBytes: Int) throws(WireError) -> String? {
        guard present else { return nil }
        let k = try varint(&c, i, field)
        return k == 0 ? nil : try entry(k - 1, i, field, maxBytes)
    }

    private mutating func decodeEvents(_ n: Int, _ slots: [Range<Int>?], _ r: WireReader, wantUsers: Bool) throws(WireError) -> (events: [Event], users: [String?]) {
        func cursor(_ field: Int) -> WireReader { r.subReader(slots[field] ?? 0 ..< 0) }
        var cName = cursor(F.name), cAnon = cursor(F.anonymousID), cUserID = cursor(F.userID)
        var cSession = cursor(F.sessionID), cEventID = cursor(F.eventID), cURL = cursor(F.url)
        var cPath = cursor(F.path), cReferrer = cursor(F.referrer), cCount = cursor(F.propertyCount)
        var cKey = cursor(F.propertyKey), cValue = cursor(F.propertyValue), cSource = cursor(F.source)
        var cMedium = cursor(F.medium), cCampaign = cursor(F.campaign), cRule = cursor(F.sourceRule)
        var cConfidence = cursor(F.sourceConfidence), cUser = cursor(F.user)
        let has = slots.map { $0 != nil }
        let hasUsers = wantUsers && has[F.user]
        var timestamp = try DeltaColumnReader(r, slots, F.timestamp, F.timestampPresent, n)
        var receivedAt = try DeltaColumnReader(r, slots, F.receivedAt, F.receivedAtPresent, n)
        var seq = try DeltaColumnReader(r, slots, F.seq, F.seqPresent, n)
        var keys = PropertyKeyChecker(dictionaryCount: strings.count)

        // Events are filled in place, field by field: constructing each with `Event(...)`
        // and appending it copied the whole struct twice (every string retained again).
        var events = [Event](repeating: Event(event: ""), count: n)
        var users: [String?] = []
        if wantUsers { users.reserveCapacity(n) }
        for i in 0 ..< n {
            let name = try ref(&cName, i, "event", limits.eventNameBytesMax)
            let anonymousID = try ref(&cAnon, i, "anonymous_id", limits.anonymousIDBytesMax)
            let userID = try nullableRef(&cUserID, has[F.userID], i, "user_id", limits.userIDBytesMax)
            let time: Int64?
            do { time = try timestamp.next(i) } catch { throw fail(error, i, "timestamp") }
            let sessionID = try nullableRef(&cSession, has[F.sessionID], i, "session_id", limits.sessionIDBytesMax)
            let eventID = try nullableRef(&cEventID, has[F.eventID], i, "event_id", limits.eventIDBytesMax)
            let url = try nullableRef(&cURL, has[F.url], i, "url", limits.urlBytesMax)
            let urlPath = try nullableRef(&cPath, has[F.path], i, "path", limits.urlBytesMax)
            let referrer = try nullableRef(&cReferrer, has[F.referrer], i, "referrer", limits.urlBytesMax)
            var properties = Properties()
            if has[F.propertyCount] {
                let k = try varint(&cCount, i, "properties")
                if k > 0 {
                    guard k <= UInt64(limits.propertiesCountMax), k <= UInt64(cKey.remainingBytes) else {
                        throw fail(WireError(.limitExceeded, field: "", "\(k) properties exceed the maximum of \(min(limits.propertiesCountMax, cKey.remainingBytes))"), i, "properties")
                    }
                    properties = try self.properties(Int(k), &cKey, &cValue, &keys, i)
                }
            }
            let received: Int64?
            do { received = try receivedAt.next(i) } catch { throw fail(error, i, "received_at") }
            var attribution: Attribution?
            if let source = try nullableRef(&cSource, has[F.source], i, "source", limits.stringBytesMax) {
                let medium = try ref(&cMedium, i, "medium", limits.stringBytesMax)
                let campaign = try nullableRef(&cCampaign, has[F.campaign], i, "campaign", limits.stringBytesMax)
                let rule = try ref(&cRule, i, "source_rule", limits.stringBytesMax)
                let raw = try varint(&cConfidence, i, "source_confidence")
                guard raw <= 255, let confidence = Attribution.Confidence(rawValue: UInt8(raw)) else {
                    throw fail(WireError(.invalidValue, field: "", "unknown confidence \(raw)"), i, "source_confidence")
                }
                attribution = Attribution(source: source, medium: medium, campaign: campaign, rule: rule, confidence: confidence)
            }
            let position: Int64?
            do { position = try seq.next(i) } catch { throw fail(error, i, "seq") }
            if wantUsers { users.append(try nullableRef(&cUser, hasUsers, i, "user", limits.userIDBytesMax)) }
            events[i].event = name
            events[i].anonymousID = anonymousID
            events[i].userID = userID
            events[i].timestamp = time
            events[i].sessionID = sessionID
            events[i].eventID = eventID
            events[i].url = url
            events[i].path = urlPath
            events[i].referrer = referrer
            events[i].properties = properties
            events[i].receivedAt = received
            events[i].attribution = attribution
            events[i].seq = position.map { UInt64(bitPattern: $0) }
        }
        let leftovers: [(WireReader, Int)] = [
            (cName, F.name), (cAnon, F.anonymousID), (cUserID, F.userID), (cSession, F.sessionID),
            (cEventID, F.eventID), (cURL, F.url), (cPath, F.path), (cReferrer, F.referrer),
            (cCount, F.propertyCount), (cKey, F.propertyKey), (cValue, F.propertyValue),
            (cSource, F.source), (cMedium, F.medium), (cCampaign, F.campaign), (cRule, F.sourceRule),
            (cConfidence, F.sourceConfidence), (timestamp.values, F.timestamp),
            (receivedAt.values, F.receivedAt), (seq.values, F.seq),
        ] + (hasUsers ? [(cUser, F.user)] : [])
        for (c, column) in leftovers where !c.isAtEnd {
            throw WireError(.invalidValue, field: "\(Self.columnName(column))", "column has entries beyond the \(n) events")
        }
        return (events, users)
    }

    private mutating func properties(
        _ k: Int, _ cKey: inout WireReader, _ cValue: inout WireReader, _ keys: inout PropertyKeyChecker, _ i: Int
    ) throws(WireError) -> Properties {
        var entries: [Property] = []
        entries.reserveCapacity(k)
        var size = 0
        for _ in 0 ..< k {
            let keyIndex = try varint(&cKey, i, "properties")
            let key = try entry(keyIndex, i, "properties", limits.propertyKeyBytesMax)
            guard keys.firstUse(of: Int(keyIndex), in: i, string: { key }) else {
                throw WireError(.invalidValue, field: "[\(i)].properties.\(key)", "duplicate property key \"\(key)\"")
            }
            let value: PropertyValue
            let kind: UInt8
            do { kind = try cValue.readByte() } catch { throw fail(error, i, "properties") }
            switch kind {
            case EventColumns.ValueKind.null: value = .null; size += 1
            case EventColumns.ValueKind.boolFalse: value = .bool(false); size += 1
            case EventColumns.ValueKind.boolTrue: value = .bool(true); size += 1
            case EventColumns.ValueKind.int:
                value = .int(zigzagDecode(try varint(&cValue, i, "properties")))
                size += 8
            case EventColumns.ValueKind.double:
                do { value = .double(Double(bitPattern: try cValue.readFixed64())) } catch { throw fail(error, i, "properties") }
                size += 8
            case EventColumns.ValueKind.string:
                let s = try varint(&cValue, i, "properties")
                value = .string(try entry(s, i, "properties", limits.propertiesBytesMax))
                size += lengths[Int(s)]
            default:
                throw WireError(.invalidValue, field: "[\(i)].properties.\(key)", "unknown property value kind \(kind)")
            }
            size += lengths[Int(keyIndex)]
            guard size <= limits.propertiesBytesMax else {
                throw fail(WireError(.limitExceeded, field: "", "properties of \(size)+ bytes exceed the maximum of \(limits.propertiesBytesMax)"), i, "properties")
            }
            entries.append(Property(key, value))
        }
        return Properties(entries)
    }

    /// The schema name of column `field`, for error paths.
    static func columnName(_ field: Int) -> StaticString {
        switch field {
        case F.dictionary: "dictionary"
        case F.name: "name"
        case F.anonymousID: "anonymous_id"
        case F.userID: "user_id"
        case F.timestamp: "timestamp"
        case F.timestampPresent: "timestamp_present"
        case F.sessionID: "session_id"
        case F.eventID: "event_id"
        case F.url: "url"
        case F.path: "path"
        case F.referrer: "referrer"
        case F.propertyCount: "property_count"
        case F.propertyKey: "property_key"
        case F.propertyValue: "property_value"
        case F.receivedAt: "received_at"
        case F.receivedAtPresent: "received_at_present"
        case F.source: "source"
        case F.medium: "medium"
        case F.campaign: "campaign"
        case F.sourceRule: "source_rule"
        case F.sourceConfidence: "source_confidence"
        case F.seq: "seq"
        case F.seqPresent: "seq_present"
        case F.user: "user"
        default: "column"
        }
    }
}
