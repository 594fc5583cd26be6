/// The server fields of a scanned batch's events (SEMANTICS §1), as the ingest service
/// computed them: what the ordinary path sets on each `Event` before storing it.
public struct ScannedServerFields: Sendable {
    /// When the server accepted the batch (µs since the epoch): every event's `received_at`.
    public var receivedAt: Int64
    /// Per event: the stored (skew-corrected) timestamp.
    public var timestamps: [Int64]
    /// By event index: the id the server made for an event the client sent without one.
    public var generatedIDs: [Int: String]
    /// The batch's distinct attributions, and per event the index of its own.
    public var attributions: [Attribution]
    public var attributionIndex: [UInt32]

    public init(receivedAt: Int64, timestamps: [Int64], generatedIDs: [Int: String], attributions: [Attribution], attributionIndex: [UInt32]) {
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
            server.appendEventID(clientRef: ref, generated: ref == 0 ? fields.generatedIDs[i] : nil, base: base)
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
    /// or `generatedIDs[i]`), as `BatchAck(...).encoded()` would write it.
    public func encodedAck(accepted: UInt32, duplicates: UInt32, generatedIDs: [Int: String]) -> [UInt8] {
        var w = WireWriter(capacity: 16 + count * 40)
        if let batchID { w.writeUInt64(1, batchID) }
        if accepted != 0 { w.writeUInt64(2, UInt64(accepted)) }
        if duplicates != 0 { w.writeUInt64(3, UInt64(duplicates)) }
        block.storage.withUnsafeBufferPointer { all in
            for i in 0 ..< count {
                let ref = eventIDRefs[i]
                if ref == 0 {
                    w.writeString(4, generatedIDs[i] ?? "")
                    continue
                }
                let start = Int(entryOffsets[Int(ref - 1)]), length = Int(entryLengths[Int(ref - 1)])
                w.appendTag(4, .lengthDelimited)
                w.appendVarint(UInt64(length))
                w.appendBytes(UnsafeBufferPointer(rebasing: all[start ..< start + length]))
            }
        }
        return w.bytes
    }
}
