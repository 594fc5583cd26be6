/// Validates an event block (`Proto/WIRE.md` § 6) and records its columns for a
/// `StoredEventBatchView`: the same checks, in the same order and with the same errors, as
/// `EventColumnsDecoder`, but producing dictionary references instead of strings.
///
/// Every dictionary entry's range is recorded only after its length was checked against
/// the bytes left, so the ranges lie inside the reader's buffer (the view's invariant).
struct StoredEventBlockScanner {
    typealias F = EventColumns.Field

    private let limits: WireLimits
    private let buffer: UnsafeRawBufferPointer
    private var starts: [Int] = []
    private var lengths: [Int32] = []

    private init(_ r: WireReader) {
        limits = r.limits
        buffer = r.buffer
    }

    /// Scans the block's fields from `r` (which ends where the block ends).
    static func scan(_ r: inout WireReader) throws(WireError) -> StoredEventBatchView {
        let countMax = r.limits.batchEventsMax
        var slots = [Range<Int>?](repeating: nil, count: F.last + 1)
        var count: UInt64 = 0
        while let f = try r.nextField() {
            if f.number == F.count {
                count = try r.readUInt64(f, "count")
            } else if f.number >= 1 && f.number <= F.last {
                slots[f.number] = try r.readSlice(f, EventColumnsDecoder.columnName(f.number))
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
                throw WireError(.missingField, field: "\(EventColumnsDecoder.columnName(column))", "column missing for \(n) events")
            }
            guard slot.count >= n else {
                throw WireError(.truncated, field: "\(EventColumnsDecoder.columnName(column))", "column of \(slot.count) bytes cannot hold \(n) entries")
            }
        }
        var scanner = StoredEventBlockScanner(r)
        try scanner.scanDictionary(r.subReader(slots[F.dictionary] ?? 0 ..< 0))
        var view = StoredEventBatchView(buffer: r.buffer, entryStarts: scanner.starts, entryLengths: scanner.lengths)
        try scanner.scanEvents(n, slots, r, into: &view)
        return view
    }

    private mutating func scanDictionary(_ reader: WireReader) throws(WireError) {
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
        // References are UInt32 with `absent` = UInt32.max; a record under 4 GiB cannot
        // hold that many entries, but say so rather than rely on it.
        guard entries < Int(StoredEventBatchView.absent) else {
            throw WireError(.limitExceeded, field: "dictionary", "\(entries) entries")
        }
        starts.reserveCapacity(entries)
        lengths.reserveCapacity(entries)
        c = reader
        for k in 0 ..< entries {
            do {
                let length = try c.readLength(maximum: limits.stringBytesMax)
                try c.validateUTF8(start: c.index, count: length)
                starts.append(c.index)
                lengths.append(Int32(length))
                c.index += length
            } catch {
                throw error.nested(in: "dictionary[\(k)]")
            }
        }
    }

    /// Entry `k` (a checked reference) as a `String`: only for property keys, once per
    /// distinct key entry, and for error messages.
    private func string(_ k: UInt32) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[starts[Int(k)] ..< starts[Int(k)] + Int(lengths[Int(k)])])
        return String(decoding: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
    }

    private func fail(_ error: WireError, _ i: Int, _ field: StaticString) -> WireError {
        error.nested(in: "[\(i)].\(field)")
    }

    /// Checks that `k` names an entry of at most `maxBytes` bytes; returns it as a reference.
    @inline(__always)
    private func entry(_ k: UInt64, _ i: Int, _ field: StaticString, _ maxBytes: Int) throws(WireError) -> UInt32 {
        guard k < UInt64(starts.count) else {
            throw fail(WireError(.invalidValue, field: "", "dictionary index \(k) out of range (\(starts.count) entries)"), i, field)
        }
        let length = Int(lengths[Int(k)])
        guard length <= maxBytes else {
            throw fail(WireError(.limitExceeded, field: "", "\(length) bytes exceed the maximum of \(maxBytes)"), i, field)
        }
        return UInt32(k)
    }

    @inline(__always)
    private func varint(_ c: inout WireReader, _ i: Int, _ field: StaticString) throws(WireError) -> UInt64 {
        do { return try c.readVarint() } catch { throw fail(error, i, field) }
    }

    @inline(__always)
    private func ref(_ c: inout WireReader, _ i: Int, _ field: StaticString, _ maxBytes: Int) throws(WireError) -> UInt32 {
        try entry(try varint(&c, i, field), i, field, maxBytes)
    }

    @inline(__always)
    private func nullableRef(_ c: inout WireReader, _ present: Bool, _ i: Int, _ field: StaticString, _ maxBytes: Int) throws(WireError) -> UInt32 {
        guard present else { return StoredEventBatchView.absent }
        let k = try varint(&c, i, field)
        return k == 0 ? StoredEventBatchView.absent : try entry(k - 1, i, field, maxBytes)
    }

    private func scanEvents(_ n: Int, _ slots: [Range<Int>?], _ r: WireReader, into view: inout StoredEventBatchView) throws(WireError) {
        func cursor(_ field: Int) -> WireReader { r.subReader(slots[field] ?? 0 ..< 0) }
        var cName = cursor(F.name), cAnon = cursor(F.anonymousID), cUserID = cursor(F.userID)
        var cSession = cursor(F.sessionID), cEventID = cursor(F.eventID), cURL = cursor(F.url)
        var cPath = cursor(F.path), cReferrer = cursor(F.referrer), cCount = cursor(F.propertyCount)
        var cKey = cursor(F.propertyKey), cValue = cursor(F.propertyValue), cSource = cursor(F.source)
        var cMedium = cursor(F.medium), cCampaign = cursor(F.campaign), cRule = cursor(F.sourceRule)
        var cConfidence = cursor(F.sourceConfidence)
        let has = slots.map { $0 != nil }
        var timestamp = try DeltaColumnReader(r, slots, F.timestamp, F.timestampPresent, n)
        var receivedAt = try DeltaColumnReader(r, slots, F.receivedAt, F.receivedAtPresent, n)
        var seq = try DeltaColumnReader(r, slots, F.seq, F.seqPresent, n)
        var keys = PropertyKeyChecker(dictionaryCount: starts.count)

        view.count = n
        view.name.reserveCapacity(n)
        view.anonymousID.reserveCapacity(n)
        view.userID.reserveCapacity(n)
        view.sessionID.reserveCapacity(n)
        view.eventID.reserveCapacity(n)
        view.url.reserveCapacity(n)
        view.path.reserveCapacity(n)
        view.referrer.reserveCapacity(n)
        view.timestamp.reserveCapacity(n)
        view.receivedAt.reserveCapacity(n)
        view.seq.reserveCapacity(n)
        view.attributionIndex.reserveCapacity(n)
        for i in 0 ..< n {
            view.name.append(try ref(&cName, i, "event", limits.eventNameBytesMax))
            view.anonymousID.append(try ref(&cAnon, i, "anonymous_id", limits.anonymousIDBytesMax))
            view.userID.append(try nullableRef(&cUserID, has[F.userID], i, "user_id", limits.userIDBytesMax))
            do { view.timestamp.append(try timestamp.next(i)) } catch { throw fail(error, i, "timestamp") }
            view.sessionID.append(try nullableRef(&cSession, has[F.sessionID], i, "session_id", limits.sessionIDBytesMax))
            view.eventID.append(try nullableRef(&cEventID, has[F.eventID], i, "event_id", limits.eventIDBytesMax))
            view.url.append(try nullableRef(&cURL, has[F.url], i, "url", limits.urlBytesMax))
            view.path.append(try nullableRef(&cPath, has[F.path], i, "path", limits.urlBytesMax))
            view.referrer.append(try nullableRef(&cReferrer, has[F.referrer], i, "referrer", limits.urlBytesMax))
            if has[F.propertyCount] {
                let k = try varint(&cCount, i, "properties")
                if k > 0 {
                    guard k <= UInt64(limits.propertiesCountMax), k <= UInt64(cKey.remainingBytes) else {
                        throw fail(WireError(.limitExceeded, field: "", "\(k) properties exceed the maximum of \(min(limits.propertiesCountMax, cKey.remainingBytes))"), i, "properties")
                    }
                    try properties(Int(k), &cKey, &cValue, &keys, i)
                }
            }
            do { view.receivedAt.append(try receivedAt.next(i)) } catch { throw fail(error, i, "received_at") }
            let source = try nullableRef(&cSource, has[F.source], i, "source", limits.stringBytesMax)
            if source != StoredEventBatchView.absent {
                let medium = try ref(&cMedium, i, "medium", limits.stringBytesMax)
                let campaign = try nullableRef(&cCampaign, has[F.campaign], i, "campaign", limits.stringBytesMax)
                let rule = try ref(&cRule, i, "source_rule", limits.stringBytesMax)
                let raw = try varint(&cConfidence, i, "source_confidence")
                guard raw <= 255, let confidence = Attribution.Confidence(rawValue: UInt8(raw)) else {
                    throw fail(WireError(.invalidValue, field: "", "unknown confidence \(raw)"), i, "source_confidence")
                }
                view.attributionIndex.append(Int32(view.attributions.count))
                view.attributions.append(.init(source: source, medium: medium, campaign: campaign, rule: rule, confidence: confidence))
            } else {
                view.attributionIndex.append(-1)
            }
            do { view.seq.append(try seq.next(i).map { UInt64(bitPattern: $0) }) } catch { throw fail(error, i, "seq") }
        }
        // The stitched-user column (25) is not read for stored batches, as in the decoder.
        let leftovers: [(WireReader, Int)] = [
            (cName, F.name), (cAnon, F.anonymousID), (cUserID, F.userID), (cSession, F.sessionID),
            (cEventID, F.eventID), (cURL, F.url), (cPath, F.path), (cReferrer, F.referrer),
            (cCount, F.propertyCount), (cKey, F.propertyKey), (cValue, F.propertyValue),
            (cSource, F.source), (cMedium, F.medium), (cCampaign, F.campaign), (cRule, F.sourceRule),
            (cConfidence, F.sourceConfidence), (timestamp.values, F.timestamp),
            (receivedAt.values, F.receivedAt), (seq.values, F.seq),
        ]
        for (c, column) in leftovers where !c.isAtEnd {
            throw WireError(.invalidValue, field: "\(EventColumnsDecoder.columnName(column))", "column has entries beyond the \(n) events")
        }
    }

    /// Checks event `i`'s `k` properties as `EventColumnsDecoder` does, building nothing.
    private func properties(
        _ k: Int, _ cKey: inout WireReader, _ cValue: inout WireReader, _ keys: inout PropertyKeyChecker, _ i: Int
    ) throws(WireError) {
        var size = 0
        for _ in 0 ..< k {
            let keyIndex = try varint(&cKey, i, "properties")
            let key = try entry(keyIndex, i, "properties", limits.propertyKeyBytesMax)
            guard keys.firstUse(of: Int(key), in: i, string: { string(key) }) else {
                let text = string(key)
                throw WireError(.invalidValue, field: "[\(i)].properties.\(text)", "duplicate property key \"\(text)\"")
            }
            let kind: UInt8
            do { kind = try cValue.readByte() } catch { throw fail(error, i, "properties") }
            switch kind {
            case EventColumns.ValueKind.null, EventColumns.ValueKind.boolFalse, EventColumns.ValueKind.boolTrue:
                size += 1
            case EventColumns.ValueKind.int:
                _ = try varint(&cValue, i, "properties")
                size += 8
            case EventColumns.ValueKind.double:
                do { _ = try cValue.readFixed64() } catch { throw fail(error, i, "properties") }
                size += 8
            case EventColumns.ValueKind.string:
                let s = try entry(try varint(&cValue, i, "properties"), i, "properties", limits.propertiesBytesMax)
                size += Int(lengths[Int(s)])
            default:
                throw WireError(.invalidValue, field: "[\(i)].properties.\(string(key))", "unknown property value kind \(kind)")
            }
            size += Int(lengths[Int(key)])
            guard size <= limits.propertiesBytesMax else {
                throw fail(WireError(.limitExceeded, field: "", "properties of \(size)+ bytes exceed the maximum of \(limits.propertiesBytesMax)"), i, "properties")
            }
        }
    }
}
