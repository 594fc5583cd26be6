/// The ids the server made for the events of a batch sent without one, as bytes in one
/// buffer (a `String` and a dictionary entry per id were a tenth of the fast path when
/// clients send no ids).
public struct GeneratedEventIDs: Sendable {
    /// The ids' UTF-8 bytes, one after another.
    public private(set) var bytes: [UInt8] = []
    /// Per event: where its id starts in `bytes`, or -1 (the client sent one); empty while
    /// no id was generated.
    private var starts: [Int32] = []
    private var ends: [Int32] = []
    private let count: Int

    /// No ids yet, for a batch of `count` events.
    public init(count: Int) { self.count = count }

    /// Whether no id was generated.
    public var isEmpty: Bool { starts.isEmpty }

    /// Appends event `event`'s id with `write`, which appends its bytes to the buffer.
    public mutating func add(event: Int, _ write: (inout [UInt8]) -> Void) {
        if starts.isEmpty {
            starts = [Int32](repeating: -1, count: count)
            ends = [Int32](repeating: -1, count: count)
        }
        starts[event] = Int32(bytes.count)
        write(&bytes)
        ends[event] = Int32(bytes.count)
    }

    /// Event `event`'s generated id, or nil.
    public func withID<R>(_ event: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        guard !starts.isEmpty, starts[event] >= 0 else { return try body(nil) }
        let range = Int(starts[event]) ..< Int(ends[event])
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Event `event`'s generated id as a `String` (the ids are ASCII), or nil.
    public func string(_ event: Int) -> String? {
        withID(event) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }
}

/// The server fields of a scanned batch's events (SEMANTICS §1), as the ingest service
/// computed them: what the ordinary path sets on each `Event` before storing it.
public struct ScannedServerFields: Sendable {
    /// When the server accepted the batch (µs since the epoch): every event's `received_at`.
    public var receivedAt: Int64
    /// Per event: the stored (skew-corrected) timestamp.
    public var timestamps: [Int64]
    /// The ids the server made for events the client sent without one.
    public var generatedIDs: GeneratedEventIDs
    /// The batch's distinct attributions, and per event the index of its own.
    public var attributions: [Attribution]
    public var attributionIndex: [UInt32]

    public init(receivedAt: Int64, timestamps: [Int64], generatedIDs: GeneratedEventIDs, attributions: [Attribution], attributionIndex: [UInt32]) {
        self.receivedAt = receivedAt
        self.timestamps = timestamps
        self.generatedIDs = generatedIDs
        self.attributions = attributions
        self.attributionIndex = attributionIndex
    }
}

extension ScannedEventBatch {
    /// The log record (`StoredEventBatch` for `project`) of every event of the batch with
    /// `fields`: byte for byte what the ordinary path stores
    /// (`StoredEventBatch.encoded(reusing:)` of the completed events), built by copying the
    /// client's columns and writing the server's.
    public func encodedRecord(project: String, fields: ScannedServerFields) -> [UInt8] {
        precondition(fields.timestamps.count == count && fields.attributionIndex.count == count, "one server field per event")
        let n = count
        let base = UInt64(block.layout.dictionaryEntries)
        var server = ServerColumns(count: n)
        // Each distinct attribution is interned at its first event, so new entries come in
        // the order the ordinary path's transcoder adds them (row-major): the same bytes.
        var interned = [AttributionColumns.Interned?](repeating: nil, count: fields.attributions.count)
        for i in 0 ..< n {
            server.timestamp.append(fields.timestamps[i], index: i)
            let ref = UInt64(eventIDRefs[i])
            if ref == 0 {
                fields.generatedIDs.withID(i) { server.appendEventID(generated: $0, base: base) }
            } else {
                server.appendEventID(clientRef: ref)
            }
            server.receivedAt.append(fields.receivedAt, index: i)
            let k = Int(fields.attributionIndex[i])
            if interned[k] == nil { interned[k] = server.attribution.intern(fields.attributions[k], &server.added) }
            server.attribution.add(interned[k]!, base: base)  // `!`: set on the line above
        }
        let body = block.storage.withUnsafeBytes { EventBlockTranscoder(block.layout, $0).write(server) }
        var w = WireWriter(capacity: body.count + project.utf8.count + 16)
        if !project.isEmpty { w.writeString(1, project) }
        w.writeBytes(2, body)
        return w.bytes
    }

    /// The encoded `BatchAck` for this batch: every event's id in order (the client's bytes,
    /// or the generated id), as `BatchAck(...).encoded()` would write it.
    public func encodedAck(accepted: UInt32, duplicates: UInt32, generatedIDs: GeneratedEventIDs) -> [UInt8] {
        var w = WireWriter(capacity: 16 + count * 40)
        if let batchID { w.writeUInt64(1, batchID) }
        if accepted != 0 { w.writeUInt64(2, UInt64(accepted)) }
        if duplicates != 0 { w.writeUInt64(3, UInt64(duplicates)) }
        block.storage.withUnsafeBufferPointer { all in
            for i in 0 ..< count {
                let ref = eventIDRefs[i]
                w.appendTag(4, .lengthDelimited)
                if ref == 0 {
                    generatedIDs.withID(i) { id in
                        w.appendVarint(UInt64(id?.count ?? 0))
                        if let id { w.appendBytes(id) }
                    }
                    continue
                }
                let start = Int(entryOffsets[Int(ref - 1)]), length = Int(entryLengths[Int(ref - 1)])
                w.appendVarint(UInt64(length))
                w.appendBytes(UnsafeBufferPointer(rebasing: all[start ..< start + length]))
            }
        }
        return w.bytes
    }
}
