import Testing
import TrailmarkEngine
import TrailmarkWire
@testable import TrailmarkServices

/// Hand-crafted edge cases for the ingest fast path (`ScannedEventBatch.scan`): each input
/// is checked against the ordinary path (decode, `EventValidator`, `sent_at`), and the scan's
/// verdict is pinned. When the scan takes a batch, the ordinary path must accept it
/// unchanged and the fast path's record and acknowledgement must be its bytes.
@Suite struct IngestFastPathEdgeTests {
    typealias Column = (Int, [UInt8])

    static func s(_ x: String) -> [UInt8] { Array(x.utf8) }

    static func v(_ xs: UInt64...) -> [UInt8] {
        var w = WireWriter()
        for x in xs { w.appendVarint(x) }
        return w.bytes
    }

    static func dictionary(_ entries: [[UInt8]]) -> [UInt8] {
        var w = WireWriter()
        for e in entries {
            w.appendVarint(UInt64(e.count))
            w.appendBytes(e)
        }
        return w.bytes
    }

    /// An `EventBatch`: the block's dictionary, count (nil: none) and columns in the order
    /// given, then `inner` (more block fields), then `outer` (more batch fields).
    static func batch(
        _ entries: [[UInt8]] = [s("view"), s("anon")], count: UInt64? = 1, columns: [Column] = [(3, [0]), (4, [1])],
        inner: (inout WireWriter) -> Void = { _ in }, outer: (inout WireWriter) -> Void = { _ in }
    ) -> [UInt8] {
        var w = WireWriter()
        w.writeMessage(1) { w in
            w.writeBytes(1, dictionary(entries))
            if let count { w.writeUInt64(2, count) }
            for (field, bytes) in columns { w.writeBytes(field, bytes) }
            inner(&w)
        }
        outer(&w)
        return w.bytes
    }

    /// The ordinary path's verdict with `limits`: the validated batch, its block and whether
    /// validation changed anything; nil when it rejects the bytes.
    static func ordinary(_ bytes: [UInt8], limits: WireLimits) -> (batch: EventBatch, block: EventBlock?, changed: Bool)? {
        guard case (var batch, let block)? = try? EventBatch.decodingKeepingBlock(bytes, limits: limits) else { return nil }
        let validator = EventValidator(limits: limits)
        guard !batch.events.isEmpty else { return nil }
        var changed = false
        do {
            for i in batch.events.indices {
                let before = batch.events[i]
                if try validator.validate(&batch.events[i], path: "events[\(i)]") { changed = true }
                if before != batch.events[i] { changed = true }
            }
            if let t = batch.sentAt { try validator.checkTime(t, "sent_at", .invalidEvent) }
        } catch {
            return nil
        }
        return (batch, block, changed)
    }

    /// Checks `bytes` both ways and expects the scan to take them exactly when `taken`
    /// (nil: either way).
    static func differential(
        _ bytes: [UInt8], taken expected: Bool?, limits: WireLimits = .default, _ note: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let scanned = ScannedEventBatch.scan(bytes, limits: limits)
        #expect(expected == nil || (scanned != nil) == expected, "\(note): scan \(scanned == nil ? "declined" : "took") it", sourceLocation: sourceLocation)
        guard let scanned else { return }
        guard let (batch, block, changed) = ordinary(bytes, limits: limits) else {
            Issue.record("\(note): the scan took a batch the ordinary path rejects", sourceLocation: sourceLocation)
            return
        }
        #expect(!changed, "\(note): the scan took a batch validation changes", sourceLocation: sourceLocation)
        guard let block, batch.events.count == scanned.count else {
            Issue.record("\(note): no block or another count", sourceLocation: sourceLocation)
            return
        }
        // Server fields as the service would set them (one attribution per event, ids made
        // up deterministically), then both records and acks compared byte for byte.
        let received: Int64 = 1_760_000_001_000_000
        var generated = GeneratedEventIDs(count: batch.events.count)
        var completed = batch.events
        for i in completed.indices {
            completed[i].receivedAt = received
            completed[i].timestamp = (completed[i].timestamp ?? received) / 2
            if completed[i].eventID == nil {
                generated.add(event: i) { $0.append(contentsOf: "gen-\(i)".utf8) }
                completed[i].eventID = "gen-\(i)"
            }
            completed[i].attribution = AttributionClassifier.classify(url: completed[i].url, referrer: completed[i].referrer)
        }
        let fields = ScannedServerFields(
            receivedAt: received, timestamps: completed.map { $0.timestamp ?? 0 }, generatedIDs: generated,
            attributions: completed.map { $0.attribution! }, attributionIndex: completed.indices.map { UInt32($0) })  // `!`: set above
        for project in ["", "proj"] {
            let expectedRecord = StoredEventBatch(project: project, events: completed).encoded(reusing: block)
            #expect(expectedRecord != nil, "\(note): the ordinary path would not reuse the block", sourceLocation: sourceLocation)
            #expect(scanned.encodedRecord(project: project, fields: fields) == expectedRecord, "\(note): records differ (project \"\(project)\")", sourceLocation: sourceLocation)
        }
        let ack = BatchAck(batchID: batch.batchID, accepted: 2, duplicates: 1, eventIDs: completed.map { $0.eventID ?? "" })
        #expect(scanned.encodedAck(accepted: 2, duplicates: 1, generatedIDs: generated) == ack.encoded(), "\(note): acks differ", sourceLocation: sourceLocation)
    }

    @Test func fieldsGivenTwiceAreLeftToTheOrdinaryPath() {
        Self.differential(Self.batch(), taken: true, "minimal")
        Self.differential(Self.batch(inner: { $0.writeUInt64(2, 1) }), taken: false, "count twice")
        Self.differential(Self.batch(count: 5, inner: { $0.writeUInt64(2, 1) }), taken: false, "count twice, the last valid")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (3, [0])]), taken: false, "name twice")
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), Self.s("u")], columns: [(3, [0]), (4, [1]), (5, [0]), (5, [3])]), taken: false, "user_id twice")
        Self.differential(Self.batch() + Self.batch(), taken: false, "events twice")
        Self.differential(Self.batch(outer: { $0.writeSInt64(2, 5); $0.writeSInt64(2, 6) }), taken: false, "sent_at twice")
        Self.differential(Self.batch(outer: { $0.writeUInt64(3, 5); $0.writeUInt64(3, 6) }), taken: false, "batch_id twice")
    }

    @Test func unknownFieldsAndAnyFieldOrderAreTaken() {
        let unknown: (inout WireWriter) -> Void = { w in
            w.writeUInt64(40, 7)
            w.appendTag(41, .fixed32)
            w.appendBytes([1, 2, 3, 4])
            w.writeBytes(42, [9, 9, 9])
            w.appendTag(43, .fixed64)
            w.appendBytes([1, 2, 3, 4, 5, 6, 7, 8])
        }
        Self.differential(Self.batch(inner: unknown, outer: unknown), taken: true, "unknown fields")
        // Columns reversed, count last, sent_at and batch_id before the block.
        var w = WireWriter()
        w.writeUInt64(3, 77)
        w.writeSInt64(2, 1_760_000_000_000_000)
        w.writeMessage(1) { w in
            w.writeBytes(12, [3])
            w.writeBytes(9, [4])
            w.writeBytes(6, Self.v(1_760_000_000_000_000 << 1, 3 << 1))
            w.writeBytes(4, [1])
            w.writeBytes(3, [0])
            w.writeBytes(1, Self.dictionary([Self.s("view"), Self.s("anon"), Self.s("https://t.co/x"), Self.s("id-1")]))
            w.writeUInt64(2, 1)
        }
        Self.differential(w.bytes, taken: false, "reversed, with a timestamp column of two values for one event")
        var r = WireWriter()
        r.writeUInt64(3, 77)
        r.writeSInt64(2, 1_760_000_000_000_000)
        r.writeMessage(1) { w in
            w.writeBytes(12, [3, 3])
            w.writeBytes(9, [4, 0])
            w.writeBytes(6, Self.v(1_760_000_000_000_000 << 1, 3 << 1))
            w.writeBytes(4, [1, 1])
            w.writeBytes(3, [0, 0])
            w.writeBytes(1, Self.dictionary([Self.s("view"), Self.s("anon"), Self.s("https://t.co/x"), Self.s("id-1")]))
            w.writeUInt64(2, 2)
        }
        Self.differential(r.bytes, taken: true, "reversed")
    }

    @Test func varintEdgeCases() {
        Self.differential(Self.batch(columns: [(3, [0x80, 0x00]), (4, [1])]), taken: false, "non-minimal reference")
        Self.differential(Self.batch(columns: [(3, [0x80, 0x80, 0x00]), (4, [1])]), taken: false, "non-minimal 3-byte reference")
        Self.differential(Self.batch(outer: { $0.writeUInt64(3, .max) }), taken: true, "10-byte batch_id")
        let tenTooBig: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x02]
        Self.differential(Self.batch(outer: { $0.appendTag(3, .varint); $0.appendBytes(tenTooBig) }), taken: false, "batch_id above 64 bits")
        let eleven: [UInt8] = Array(repeating: 0xFF, count: 10) + [0x01]
        Self.differential(Self.batch(outer: { $0.appendTag(3, .varint); $0.appendBytes(eleven) }), taken: false, "11-byte batch_id")
        Self.differential(Self.batch(outer: { $0.appendTag(3, .fixed64); $0.appendBytes([1, 0, 0, 0, 0, 0, 0, 0]) }), taken: false, "batch_id as fixed64")
        Self.differential(Self.batch(count: nil, inner: { $0.writeBytes(2, [1]) }), taken: false, "count as bytes")
        Self.differential(Self.batch(columns: [(4, [1])], inner: { $0.writeUInt64(3, 0) }), taken: false, "name as a varint")
        Self.differential(Self.batch(outer: { $0.appendVarint(0) }), taken: false, "field number 0")
        Self.differential(Array(Self.batch().dropLast()), taken: false, "truncated")
    }

    @Test func presenceBitmaps() {
        let three: [Column] = [(3, [0, 0, 0]), (4, [1, 1, 1])]
        let t0: UInt64 = 1_760_000_000_000_000
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(t0 << 1, 10 << 1)), (7, [0b101])]), taken: true, "events 0 and 2 timed")
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(t0 << 1, 10 << 1)), (7, [0b1101])]), taken: false, "a bit beyond the events")
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(t0 << 1, 10 << 1)), (7, [0b101, 0])]), taken: false, "a bitmap too long")
        Self.differential(Self.batch(count: 3, columns: three + [(7, [0])]), taken: true, "an empty bitmap, no values")
        Self.differential(Self.batch(count: 3, columns: three + [(7, [1])]), taken: false, "a bit without a value")
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(t0 << 1, 1 << 1, 1))]), taken: true, "every event timed")
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(t0 << 1, 1 << 1, 1, 1))]), taken: false, "a value too many")
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(t0 << 1, 1 << 1, 1)), (7, [0b111])]), taken: true, "a full bitmap")
        Self.differential(Self.batch(count: 3, columns: three + [(6, Self.v(1, 2, 2))]), taken: false, "a negative timestamp (zigzag 1)")
        Self.differential(Self.batch(count: 2, columns: [(3, [0, 0]), (4, [1, 1]), (6, Self.v(t0 << 1, UInt64.max - 1))]), taken: false, "a delta past year 9999")
    }

    @Test func propertyKeysAreComparedAsStrings() {
        let precomposed = [UInt8]([0xC3, 0xA9]), decomposed = [UInt8]([0x65, 0xCC, 0x81])
        let entries = [Self.s("view"), Self.s("anon"), precomposed, decomposed]
        let kinds = [UInt8]([0, 0])
        Self.differential(Self.batch(entries, columns: [(3, [0]), (4, [1]), (13, [2]), (14, [2, 3]), (15, kinds)]), taken: false, "equivalent keys in one event")
        Self.differential(Self.batch(entries, count: 2, columns: [(3, [0, 0]), (4, [1, 1]), (13, [1, 1]), (14, [2, 3]), (15, kinds)]), taken: true, "equivalent keys in two events")
        Self.differential(Self.batch(entries, columns: [(3, [0]), (4, [1]), (13, [2]), (14, [2, 2]), (15, kinds)]), taken: false, "one key twice")
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), [], Self.s("x")], columns: [(3, [0]), (4, [1]), (13, [2]), (14, [2, 3]), (15, [5, 2, 3, 0])]), taken: true, "an empty key and an empty string value")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (13, [0])]), taken: true, "a count column of zeros")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (13, [0]), (14, [])]), taken: true, "empty key column")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (13, [1]), (14, [0]), (15, [6])]), taken: false, "an unknown value kind")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (14, [0]), (15, [0])]), taken: false, "keys without counts")
    }

    @Test func doubles() {
        func one(_ d: Double) -> [UInt8] {
            var w = WireWriter()
            w.appendByte(4)
            w.appendFixed64(d.bitPattern)
            return Self.batch(columns: [(3, [0]), (4, [1]), (13, [1]), (14, [0]), (15, w.bytes)])
        }
        for d in [Double.nan, .infinity, -.infinity, Double(bitPattern: 0x7FF0_0000_0000_0001)] {
            Self.differential(one(d), taken: false, "\(d)")
        }
        for d in [-0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude] {
            Self.differential(one(d), taken: true, "\(d)")
        }
    }

    @Test func limitsAtTheirBoundary() {
        let l = WireLimits.default
        func named(_ n: Int) -> [UInt8] { Self.batch([Array(repeating: 0x6E, count: n), Self.s("anon")]) }
        Self.differential(named(l.eventNameBytesMax), taken: true, "name at the limit")
        Self.differential(named(l.eventNameBytesMax + 1), taken: false, "name over the limit")
        Self.differential(named(0), taken: false, "empty name")
        func anon(_ n: Int) -> [UInt8] { Self.batch([Self.s("view"), Array(repeating: 0x61, count: n)]) }
        Self.differential(anon(l.anonymousIDBytesMax), taken: true, "anonymous id at the limit")
        Self.differential(anon(l.anonymousIDBytesMax + 1), taken: false, "anonymous id over the limit")
        func optional(_ field: Int, _ n: Int) -> [UInt8] {
            Self.batch([Self.s("view"), Self.s("anon"), Array(repeating: 0x78, count: n)], columns: [(3, [0]), (4, [1]), (field, [3])])
        }
        for (field, max) in [(5, l.userIDBytesMax), (8, l.sessionIDBytesMax), (9, l.eventIDBytesMax), (10, l.urlBytesMax), (11, l.urlBytesMax), (12, l.urlBytesMax)] {
            Self.differential(optional(field, max), taken: true, "field \(field) at the limit")
            Self.differential(optional(field, max + 1), taken: false, "field \(field) over the limit")
            Self.differential(optional(field, 0), taken: false, "field \(field) empty")
        }
        // Properties: the validator's estimate is 2 + (key + 6 + value) per entry.
        func stringProperty(_ n: Int) -> [UInt8] {
            Self.batch([Self.s("view"), Self.s("anon"), Self.s("k"), Array(repeating: 0x76, count: n)], columns: [(3, [0]), (4, [1]), (13, [1]), (14, [2]), (15, [5, 3])])
        }
        let fits = l.propertiesBytesMax - 2 - 1 - 6
        Self.differential(stringProperty(fits), taken: true, "properties at the size limit")
        Self.differential(stringProperty(fits + 1), taken: false, "properties over the size limit")
        func keyed(_ n: Int) -> [UInt8] {
            Self.batch([Self.s("view"), Self.s("anon"), Array(repeating: 0x6B, count: n)], columns: [(3, [0]), (4, [1]), (13, [1]), (14, [2]), (15, [0])])
        }
        Self.differential(keyed(l.propertyKeyBytesMax), taken: true, "key at the limit")
        Self.differential(keyed(l.propertyKeyBytesMax + 1), taken: false, "key over the limit")
        func counted(_ k: Int) -> [UInt8] {
            let keys = (0 ..< k).map { Self.s("\($0)") }
            var keyColumn = WireWriter()
            for i in 0 ..< k { keyColumn.appendVarint(UInt64(2 + i)) }
            return Self.batch([Self.s("view"), Self.s("anon")] + keys, columns: [(3, [0]), (4, [1]), (13, Self.v(UInt64(k))), (14, keyColumn.bytes), (15, Array(repeating: 0, count: k))])
        }
        Self.differential(counted(l.propertiesCountMax), taken: true, "as many properties as allowed")
        Self.differential(counted(l.propertiesCountMax + 1), taken: false, "a property too many")
    }

    @Test func countsAgainstColumns() {
        Self.differential(Self.batch(count: 2, columns: [(3, [0, 0, 0]), (4, [1, 1])]), taken: false, "a name too many")
        Self.differential(Self.batch(count: 2, columns: [(3, [0]), (4, [1, 1])]), taken: false, "a name too few")
        Self.differential(Self.batch(count: 0, columns: []), taken: false, "no events")
        Self.differential(Self.batch(count: nil, columns: []), taken: false, "no count")
        Self.differential(Self.batch(count: 1, columns: [(4, [1])]), taken: false, "no names")
        var small = WireLimits.default
        small.batchEventsMax = 2
        Self.differential(Self.batch(count: 2, columns: [(3, [0, 0]), (4, [1, 1])]), taken: true, limits: small, "events at the limit")
        Self.differential(Self.batch(count: 3, columns: [(3, [0, 0, 0]), (4, [1, 1, 1])]), taken: false, limits: small, "events over the limit")
    }

    @Test func eventIDColumnAbsentOrAllZero() {
        let two: [Column] = [(3, [0, 0]), (4, [1, 1])]
        Self.differential(Self.batch(count: 2, columns: two), taken: true, "no event_id column")
        Self.differential(Self.batch(count: 2, columns: two + [(9, [0, 0])]), taken: true, "an event_id column of zeros")
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), Self.s("id")], count: 2, columns: two + [(9, [0, 3])]), taken: true, "one id of two")
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), Self.s("id")], count: 2, columns: two + [(9, [3, 3])]), taken: true, "one id twice")
    }

    @Test func serverColumnsAndUnreferencedEntries() {
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (25, [0])]), taken: false, "a user column (ignored by the decoder)")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (20, [])]), taken: false, "an empty campaign column")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (24, [0])]), taken: false, "an empty seq bitmap")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (17, [0])]), taken: false, "an empty received_at bitmap")
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), Self.s("spare")]), taken: false, "an unreferenced entry")
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), Self.s("view")], count: 2, columns: [(3, [0, 2]), (4, [1, 1])]), taken: true, "an entry twice, both used")
        Self.differential(Self.batch([Self.s("view"), []], columns: [(3, [0]), (4, [1])]), taken: false, "no anonymous id and no user id")
        Self.differential(Self.batch([Self.s("view"), [], Self.s("u")], columns: [(3, [0]), (4, [1]), (5, [3])]), taken: true, "a user id instead of an anonymous id")
        Self.differential(Self.batch(columns: [(3, [0]), (4, [1]), (5, [0])]), taken: true, "a user column of zeros")
    }

    @Test func sentAtAndSizeAndNesting() {
        for (t, taken) in [(Int64(0), true), (EventValidator.timestampMax, true), (-1, false), (EventValidator.timestampMax + 1, false), (.min, false), (.max, false)] {
            Self.differential(Self.batch(outer: { $0.writeSInt64(2, t) }), taken: taken, "sent_at \(t)")
        }
        let bytes = Self.batch()
        var exact = WireLimits.default
        exact.messageBytesMax = bytes.count
        Self.differential(bytes, taken: true, limits: exact, "a message at the size limit")
        exact.messageBytesMax = bytes.count - 1
        Self.differential(bytes, taken: false, limits: exact, "a message over the size limit")
        var flat = WireLimits.default
        flat.nestingDepthMax = 0
        Self.differential(bytes, taken: false, limits: flat, "no nesting allowed")
    }

    @Test func utf8() {
        for (bytes, valid) in [([UInt8]([0xC0, 0x80]), false), ([0xED, 0xA0, 0x80], false), ([0xF4, 0x90, 0x80, 0x80], false), ([0xEF, 0xBF, 0xBF], true), ([0xF0, 0x9F, 0x98, 0x80], true), ([0xE2, 0x82], false)] {
            Self.differential(Self.batch([Self.s("view"), bytes]), taken: valid, "anonymous id \(bytes)")
        }
        Self.differential(Self.batch([Self.s("view"), Self.s("anon"), [0xFF]], columns: [(3, [0]), (4, [1]), (13, [1]), (14, [0]), (15, [5, 2])]), taken: false, "an invalid string value")
    }
}
