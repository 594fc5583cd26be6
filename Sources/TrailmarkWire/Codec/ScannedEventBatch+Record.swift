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
        let ids = fields.generatedIDs
        let idCount = ids.bytes.isEmpty ? 0 : n  // at most one per event
        var server = ServerColumns(
            count: n, expectedAdded: idCount + 4 * fields.attributions.count + 8,
            expectedAddedBytes: ids.bytes.count + idCount + 64 * fields.attributions.count + 64)
        // Row-major interning, as the ordinary path's transcoder adds entries: an event's
        // generated id, then its attribution when it is the first event with it (each
        // distinct attribution is interned once). Same entries in the same order: the same
        // bytes. The columns are then written one at a time from the references.
        var interned = [AttributionColumns.Interned?](repeating: nil, count: fields.attributions.count)
        var idRefs = [UInt64](repeating: 0, count: n)
        let refs = eventIDRefs, index = fields.attributionIndex
        var attributions = AttributionColumns()  // interns only; the columns are written below
        ids.withIDs { ids in
            for i in 0 ..< n {
                if refs[i] != 0 {
                    idRefs[i] = UInt64(refs[i])
                } else if let id = ids[i] {
                    idRefs[i] = base + server.added.intern(utf8: id) + 1
                }
                let k = Int(index[i])
                if interned[k] == nil { interned[k] = attributions.intern(fields.attributions[k], &server.added) }
            }
        }
        server.eventID = WireWriter(written: VarintColumn.encode(count: n) { idRefs[$0] })
        server.anyEventID = idRefs.contains { $0 != 0 }
        let timestamps = fields.timestamps, receivedAt = fields.receivedAt
        server.timestamp = DeltaColumn(count: n) { timestamps[$0] }
        server.receivedAt = DeltaColumn(count: n) { _ in receivedAt }
        // `!`: the loop above interned every attribution an event names.
        server.attribution = AttributionColumns(interned: interned.map { $0! }, index: index, base: base)
        return EventBlockTranscoder.record(project: project, block: block, server: server)
    }

    /// The encoded `BatchAck` for this batch: every event's id in order (the client's bytes,
    /// or the generated id), as `BatchAck(...).encoded()` would write it.
    public func encodedAck(accepted: UInt32, duplicates: UInt32, generatedIDs: GeneratedEventIDs) -> [UInt8] {
        var w = WireWriter(capacity: 16 + count * 40)
        if let batchID { w.writeUInt64(1, batchID) }
        if accepted != 0 { w.writeUInt64(2, UInt64(accepted)) }
        if duplicates != 0 { w.writeUInt64(3, UInt64(duplicates)) }
        let refs = eventIDRefs
        block.storage.withUnsafeBufferPointer { all in
            generatedIDs.withIDs { ids in
                for i in 0 ..< count {
                    let ref = refs[i]
                    w.appendTag(4, .lengthDelimited)
                    if ref == 0 {
                        let id = ids[i]
                        w.appendVarint(UInt64(id?.count ?? 0))
                        if let id { w.appendBytes(id) }
                        continue
                    }
                    let start = Int(entryOffsets[Int(ref - 1)]), length = Int(entryLengths[Int(ref - 1)])
                    w.appendVarint(UInt64(length))
                    w.appendBytes(UnsafeBufferPointer(rebasing: all[start ..< start + length]))
                }
            }
        }
        return w.bytes
    }
}
