extension StoredEventBatch {
    /// Encodes this batch by copying `block`'s client columns instead of encoding their
    /// strings again: the ingest hot path (the canonical encoder spent most of its time
    /// hashing strings the client had already put in a dictionary).
    ///
    /// Copied as the client sent them: the dictionary (new entries are appended after it),
    /// `name`, `anonymous_id`, `user_id`, `session_id`, `url`, `path`, `referrer` and the
    /// property columns. Written from `events`: `timestamp` (skew-corrected), `event_id`
    /// (the client's references, new entries for ids the server generated), `received_at`,
    /// the attribution columns and `seq`.
    ///
    /// The result is a valid, non-canonical block (WIRE.md § 6.2: readers rely on neither
    /// the order nor the uniqueness of entries).
    ///
    /// Used only for a block a canonical encoder could have written: every dictionary entry
    /// referenced (so no client bytes are stored that no event holds: they would survive a
    /// forget and inflate the log) and none of the server's columns (`received_at` … `user`,
    /// fields 16–25) present. Returns nil otherwise, or when the counts differ; the caller
    /// then encodes canonically.
    ///
    /// Precondition (the caller's): `events` are `block`'s decoded events in order, none
    /// dropped, with the copied fields unchanged. Then decoding the result gives exactly
    /// `self` (`TranscodeTests`).
    public func encoded(reusing block: EventBlock) -> [UInt8]? {
        typealias F = EventColumns.Field
        guard block.count == events.count, !events.isEmpty, block.layout.allEntriesReferenced,
              !block.layout.columns[F.receivedAt...F.user].contains(where: { $0 != nil }),
              let server = block.storage.withUnsafeBytes({ EventBlockTranscoder(block.layout, $0).serverColumns(events) })
        else { return nil }
        return EventBlockTranscoder.record(project: project, block: block, server: server)
    }
}

/// The columns the server writes into a stored block (the rest are the client's, copied).
struct ServerColumns {
    var added: StringInterner
    var timestamp, receivedAt, seq: DeltaColumn
    var eventID: WireWriter
    var anyEventID = false
    var attribution = AttributionColumns()

    /// Columns for `n` events; `expectedAdded` new dictionary entries of about
    /// `expectedAddedBytes` bytes in all are allocated for up front.
    init(count n: Int, expectedAdded: Int = 16, expectedAddedBytes: Int? = nil) {
        added = StringInterner(expectedStrings: expectedAdded, expectedBytes: expectedAddedBytes)
        timestamp = DeltaColumn(count: n)
        receivedAt = DeltaColumn(count: n)
        seq = DeltaColumn(count: n)
        eventID = WireWriter(capacity: n * 2)
    }

    /// Appends event `index`'s `event_id` reference: the client's (`clientRef`, as stored:
    /// entry + 1) when it sent one, else a new entry for `generated` (after the `base`
    /// client entries), else 0.
    @inline(__always)
    mutating func appendEventID(clientRef: UInt64, generated: String?, base: UInt64) {
        var ref = clientRef
        if ref == 0, let id = generated { ref = base + added.intern(id) + 1 }
        eventID.appendVarint(ref)
        if ref != 0 { anyEventID = true }
    }
}

/// Builds a stored block from a client block and the server's columns for it.
/// Borrows the client's bytes for the duration of `serverColumns` / `write`.
struct EventBlockTranscoder {
    typealias F = EventColumns.Field
    let layout: EventBlockLayout
    let raw: UnsafeRawBufferPointer

    init(_ layout: EventBlockLayout, _ raw: UnsafeRawBufferPointer) {
        self.layout = layout
        self.raw = raw
    }

    /// The `StoredEventBatch` record of `project` and `block` with `server`'s columns: the
    /// block is written straight into the record (its size is computed first), not
    /// encoded apart and copied.
    static func record(project: String, block: EventBlock, server: ServerColumns) -> [UInt8] {
        var w = WireWriter(capacity: project.utf8.count + 16)
        if !project.isEmpty { w.writeString(1, project) }
        block.storage.withUnsafeBytes { EventBlockTranscoder(block.layout, $0).write(server, asField: 2, into: &w) }
        return w.bytes
    }

    /// The server's columns for `events` (nil when the client's `event_id` column does not
    /// hold one reference per event).
    func serverColumns(_ events: [Event]) -> ServerColumns? {
        let n = layout.count
        let base = UInt64(layout.dictionaryEntries)
        var server = ServerColumns(count: n)
        var clientIDs = layout.columns[F.eventID].map { WireReader(raw).subReader($0) }
        // Fields read through the buffer: iterating the array copied each event.
        let ok = events.withUnsafeBufferPointer { events in
            for i in events.indices {
                server.timestamp.append(events[i].timestamp, index: i)
                var ref: UInt64 = 0
                if clientIDs != nil {
                    do { ref = try clientIDs!.readVarint() } catch { return false }  // `!`: checked just above
                }
                server.appendEventID(clientRef: ref, generated: events[i].eventID, base: base)
                server.receivedAt.append(events[i].receivedAt, index: i)
                server.attribution.add(events[i].attribution, &server.added, base: base)
                server.seq.append(events[i].seq.map { Int64(bitPattern: $0) }, index: i)
            }
            return true
        }
        return ok ? server : nil
    }

    /// Writes the stored block as length-delimited field `number` of `w`.
    func write(_ server: ServerColumns, asField number: Int, into w: inout WireWriter) {
        let size = blockSize(server)
        w.reserveCapacity(w.count + WireWriter.bytesFieldSize(number, size))
        w.appendTag(number, .lengthDelimited)
        w.appendVarint(UInt64(size))
        let start = w.count
        writeBlock(server, into: &w)
        precondition(w.count - start == size, "blockSize mirrors writeBlock")
    }

    /// Bytes `writeBlock` writes.
    private func blockSize(_ server: ServerColumns) -> Int {
        let dictionary = layout.columns[F.dictionary] ?? 0 ..< 0
        var size = WireWriter.bytesFieldSize(F.dictionary, dictionary.count + server.added.dictionary.count)
        size += WireWriter.varintSize(UInt64(F.count) << 3 | UInt64(WireType.varint.rawValue)) + WireWriter.varintSize(UInt64(layout.count))
        for field in [F.name, F.anonymousID, F.userID, F.sessionID, F.url, F.path, F.referrer, F.propertyCount, F.propertyKey, F.propertyValue] {
            if let range = layout.columns[field] { size += WireWriter.bytesFieldSize(field, range.count) }
        }
        size += server.timestamp.encodedSize(values: F.timestamp, present: F.timestampPresent)
        if server.anyEventID { size += WireWriter.bytesFieldSize(F.eventID, server.eventID.count) }
        size += server.receivedAt.encodedSize(values: F.receivedAt, present: F.receivedAtPresent)
        size += server.attribution.encodedSize
        size += server.seq.encodedSize(values: F.seq, present: F.seqPresent)
        return size
    }

    /// The stored block: the client's dictionary and the server's new entries, the client's
    /// columns copied, the server's written, in field order.
    private func writeBlock(_ server: ServerColumns, into w: inout WireWriter) {
        let n = layout.count
        let dictionary = layout.columns[F.dictionary] ?? 0 ..< 0
        w.appendTag(F.dictionary, .lengthDelimited)
        w.appendVarint(UInt64(dictionary.count + server.added.dictionary.count))
        w.appendBytes(bytes(dictionary))
        w.appendBytes(server.added.dictionary.bytes)
        w.writeUInt64(F.count, UInt64(n))
        copy([F.name, F.anonymousID, F.userID], into: &w)
        server.timestamp.write(values: F.timestamp, present: F.timestampPresent, into: &w)
        copy([F.sessionID], into: &w)
        if server.anyEventID { w.writeBytes(F.eventID, server.eventID.bytes) }
        copy([F.url, F.path, F.referrer, F.propertyCount, F.propertyKey, F.propertyValue], into: &w)
        server.receivedAt.write(values: F.receivedAt, present: F.receivedAtPresent, into: &w)
        server.attribution.write(into: &w)
        server.seq.write(values: F.seq, present: F.seqPresent, into: &w)
    }

    /// The client's bytes in `range` (within `raw`: the layout's invariant).
    private func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeRawBufferPointer(rebasing: raw[range]).assumingMemoryBound(to: UInt8.self)
    }

    /// Copies the client's columns `fields` (ascending) that are present.
    private func copy(_ fields: [Int], into w: inout WireWriter) {
        for field in fields {
            guard let range = layout.columns[field] else { continue }
            w.appendTag(field, .lengthDelimited)
            w.appendVarint(UInt64(range.count))
            w.appendBytes(bytes(range))
        }
    }
}
