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
        let (slots, n) = try EventColumnsDecoder.columns(&r, countMax: r.limits.batchEventsMax)
        var scanner = StoredEventBlockScanner(r)
        try scanner.scanDictionary(r.subReader(slots[F.dictionary] ?? 0 ..< 0))
        var view = StoredEventBatchView(buffer: r.buffer, entryStarts: scanner.starts, entryLengths: scanner.lengths)
        try scanner.scanEvents(n, slots, r, into: &view)
        return view
    }

    /// Records every entry's range, then validates each as UTF-8: the decoder's order of
    /// checks (all lengths and the entry limit first), with one varint pass.
    private mutating func scanDictionary(_ reader: WireReader) throws(WireError) {
        var c = reader
        while !c.isAtEnd {
            let length: Int
            do {
                length = try c.readLength(maximum: limits.stringBytesMax)
            } catch {
                throw error.nested(in: "dictionary[\(starts.count)]")
            }
            starts.append(c.index)
            lengths.append(Int32(length))
            c.index += length
            guard starts.count <= limits.dictionaryEntriesMax else {
                throw WireError(.limitExceeded, field: "dictionary", "more than \(limits.dictionaryEntriesMax) entries")
            }
        }
        // References are UInt32 with `absent` = UInt32.max; a record under 4 GiB cannot
        // hold that many entries, but say so rather than rely on it.
        guard starts.count < Int(StoredEventBatchView.absent) else {
            throw WireError(.limitExceeded, field: "dictionary", "\(starts.count) entries")
        }
        for k in starts.indices {
            do {
                try c.validateUTF8(start: starts[k], count: Int(lengths[k]))
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
        var columns = try Columns(n, slots, r, dictionaryCount: starts.count)
        view.count = n
        view.refs = [UInt32](repeating: StoredEventBatchView.absent, count: n * StoredEventBatchView.Ref.stride)
        view.values = [Int64](repeating: 0, count: n * 3)
        view.present = [UInt8](repeating: 0, count: n)
        if slots[F.source] != nil { view.attributions.reserveCapacity(n) }
        var attributions = view.attributions
        view.attributions = []
        // Written through buffers sized above (no per-append capacity or uniqueness check).
        let result: Result<Void, WireError> = view.refs.withUnsafeMutableBufferPointer { refs in
            view.values.withUnsafeMutableBufferPointer { values in
                view.present.withUnsafeMutableBufferPointer { present in
                    do throws(WireError) {
                        for i in 0 ..< n {
                            try scanEvent(i, &columns, refs, values, present, &attributions)
                        }
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        try result.get()
        view.attributions = attributions
        try columns.checkExhausted(n)
    }

    /// Reads event `i` from every column into its slots of the view's buffers.
    @inline(__always)
    private func scanEvent(
        _ i: Int, _ c: inout Columns, _ refs: UnsafeMutableBufferPointer<UInt32>, _ values: UnsafeMutableBufferPointer<Int64>,
        _ present: UnsafeMutableBufferPointer<UInt8>, _ attributions: inout [StoredEventBatchView.AttributionRefs]
    ) throws(WireError) {
        typealias Ref = StoredEventBatchView.Ref
        let base = i * Ref.stride
        var flags: UInt8 = 0
        refs[base + Ref.name] = try ref(&c.name, i, "event", limits.eventNameBytesMax)
        refs[base + Ref.anonymousID] = try ref(&c.anon, i, "anonymous_id", limits.anonymousIDBytesMax)
        refs[base + Ref.userID] = try nullableRef(&c.userID, c.hasUserID, i, "user_id", limits.userIDBytesMax)
        do {
            if let t = try c.timestamp.next(i) { values[i * 3] = t; flags |= 1 }
        } catch { throw fail(error, i, "timestamp") }
        refs[base + Ref.sessionID] = try nullableRef(&c.session, c.hasSession, i, "session_id", limits.sessionIDBytesMax)
        refs[base + Ref.eventID] = try nullableRef(&c.eventID, c.hasEventID, i, "event_id", limits.eventIDBytesMax)
        refs[base + Ref.url] = try nullableRef(&c.url, c.hasURL, i, "url", limits.urlBytesMax)
        refs[base + Ref.path] = try nullableRef(&c.path, c.hasPath, i, "path", limits.urlBytesMax)
        refs[base + Ref.referrer] = try nullableRef(&c.referrer, c.hasReferrer, i, "referrer", limits.urlBytesMax)
        if c.hasPropertyCount {
            let k = try varint(&c.propertyCount, i, "properties")
            if k > 0 {
                guard k <= UInt64(limits.propertiesCountMax), k <= UInt64(c.key.remainingBytes) else {
                    throw fail(WireError(.limitExceeded, field: "", "\(k) properties exceed the maximum of \(min(limits.propertiesCountMax, c.key.remainingBytes))"), i, "properties")
                }
                try properties(Int(k), &c.key, &c.value, &c.keys, i)
            }
        }
        do {
            if let t = try c.receivedAt.next(i) { values[i * 3 + 1] = t; flags |= 2 }
        } catch { throw fail(error, i, "received_at") }
        let source = try nullableRef(&c.source, c.hasSource, i, "source", limits.stringBytesMax)
        if source != StoredEventBatchView.absent {
            let medium = try ref(&c.medium, i, "medium", limits.stringBytesMax)
            let campaign = try nullableRef(&c.campaign, c.hasCampaign, i, "campaign", limits.stringBytesMax)
            let rule = try ref(&c.rule, i, "source_rule", limits.stringBytesMax)
            let raw = try varint(&c.confidence, i, "source_confidence")
            guard raw <= 255, let confidence = Attribution.Confidence(rawValue: UInt8(raw)) else {
                throw fail(WireError(.invalidValue, field: "", "unknown confidence \(raw)"), i, "source_confidence")
            }
            refs[base + Ref.attribution] = UInt32(attributions.count)
            attributions.append(.init(source: source, medium: medium, campaign: campaign, rule: rule, confidence: confidence))
        }
        do {
            if let s = try c.seq.next(i) { values[i * 3 + 2] = s; flags |= 4 }
        } catch { throw fail(error, i, "seq") }
        present[i] = flags
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

/// The block's column cursors (`StoredEventBlockScanner`), one per field, each advanced one
/// event at a time.
private struct Columns {
    typealias F = EventColumns.Field
    var name, anon, userID, session, eventID, url, path, referrer: WireReader
    var propertyCount, key, value, source, medium, campaign, rule, confidence: WireReader
    let hasUserID, hasSession, hasEventID, hasURL, hasPath, hasReferrer: Bool
    let hasPropertyCount, hasSource, hasCampaign: Bool
    var timestamp, receivedAt, seq: DeltaColumnReader
    var keys: PropertyKeyChecker

    init(_ n: Int, _ slots: [Range<Int>?], _ r: WireReader, dictionaryCount: Int) throws(WireError) {
        func cursor(_ field: Int) -> WireReader { r.subReader(slots[field] ?? 0 ..< 0) }
        name = cursor(F.name); anon = cursor(F.anonymousID); userID = cursor(F.userID)
        session = cursor(F.sessionID); eventID = cursor(F.eventID); url = cursor(F.url)
        path = cursor(F.path); referrer = cursor(F.referrer); propertyCount = cursor(F.propertyCount)
        key = cursor(F.propertyKey); value = cursor(F.propertyValue); source = cursor(F.source)
        medium = cursor(F.medium); campaign = cursor(F.campaign); rule = cursor(F.sourceRule)
        confidence = cursor(F.sourceConfidence)
        hasUserID = slots[F.userID] != nil; hasSession = slots[F.sessionID] != nil; hasEventID = slots[F.eventID] != nil
        hasURL = slots[F.url] != nil; hasPath = slots[F.path] != nil; hasReferrer = slots[F.referrer] != nil
        hasPropertyCount = slots[F.propertyCount] != nil; hasSource = slots[F.source] != nil; hasCampaign = slots[F.campaign] != nil
        timestamp = try DeltaColumnReader(r, slots, F.timestamp, F.timestampPresent, n)
        receivedAt = try DeltaColumnReader(r, slots, F.receivedAt, F.receivedAtPresent, n)
        seq = try DeltaColumnReader(r, slots, F.seq, F.seqPresent, n)
        keys = PropertyKeyChecker(dictionaryCount: dictionaryCount)
    }

    /// Throws when a column holds entries beyond the `n` events (the stitched-user column,
    /// 25, is not read for stored batches, as in the decoder).
    func checkExhausted(_ n: Int) throws(WireError) {
        let leftovers: [(WireReader, Int)] = [
            (name, F.name), (anon, F.anonymousID), (userID, F.userID), (session, F.sessionID),
            (eventID, F.eventID), (url, F.url), (path, F.path), (referrer, F.referrer),
            (propertyCount, F.propertyCount), (key, F.propertyKey), (value, F.propertyValue),
            (source, F.source), (medium, F.medium), (campaign, F.campaign), (rule, F.sourceRule),
            (confidence, F.sourceConfidence), (timestamp.values, F.timestamp),
            (receivedAt.values, F.receivedAt), (seq.values, F.seq),
        ]
        for (c, column) in leftovers where !c.isAtEnd {
            throw WireError(.invalidValue, field: "\(EventColumnsDecoder.columnName(column))", "column has entries beyond the \(n) events")
        }
    }
}
