import TrailmarkEngine
import TrailmarkWire

extension IngestService {
    /// `track` for a binary batch that `ScannedEventBatch.scan` took (the common case: a
    /// valid batch stored as sent), without building an `Event` per event. Returns the
    /// encoded `BatchAck`.
    ///
    /// Same answers as `track(_:block:project:)` on the decoded batch (`IngestFastPathTests`
    /// compares the stored records and acknowledgements byte for byte): the same server
    /// fields, the same duplicate decision, and, when every event is new, the same record
    /// (the client's columns copied, the server's written). When some events are retries,
    /// the record of the others is built from the decoded events, as `track` does.
    public nonisolated func track(scanned: ScannedEventBatch, project: String, limits: WireLimits) async throws(APIError) -> [UInt8] {
        guard await progress.waitReplayed() else { throw Self.shuttingDown }
        let n = scanned.count
        let receivedAt = now()
        let offset = skew.offset(receivedAt: receivedAt, sentAt: scanned.sentAt)
        let millis = UInt64(max(0, receivedAt / 1000))
        let refs = scanned.eventIDRefs, clientTimes = scanned.timestamps
        var generated = [Bool](repeating: false, count: n)
        var fingerprints = [UInt64](repeating: 0, count: n)
        var timestamps = [Int64](repeating: 0, count: n)
        let fingerprint = engine.fingerprint, skew = self.skew
        scanned.withEntries { entries in
            for i in 0 ..< n {
                timestamps[i] = skew.correct(clientTimes[i], receivedAt: receivedAt, offset: offset)
                if let id = entries[ref: refs[i]] { fingerprints[i] = fingerprint(utf8: id) } else { generated[i] = true }
            }
        }
        // Server ids in event order, each fingerprinted as it is written into its slot.
        var idRandom = FastRandom(seed: UInt64.random(in: 0...UInt64.max))
        let generatedIDs = GeneratedEventIDs(width: UUIDv7.textBytes, generating: generated) { i, id in
            UUIDv7.write(milliseconds: millis, using: &idRandom, into: id)
            fingerprints[i] = fingerprint(utf8: UnsafeBufferPointer(id))
        }
        let fields = ScannedServerFields(
            receivedAt: receivedAt, timestamps: timestamps, generatedIDs: generatedIDs,
            attributions: [], attributionIndex: [])
        let attributed = Self.attribute(scanned, fields)
        let repeats = BatchRepeats.mark(fingerprints, skip: generated)
        let stored = try await commit(fingerprints: fingerprints, generated: generated, repeats: repeats, project: project) { (keep: [Bool]?) throws(APIError) -> [UInt8] in
            guard let keep else { return scanned.encodedRecord(project: project, fields: attributed) }
            return try Self.record(of: scanned, fields: attributed, keep: keep, project: project, limits: limits)
        }
        return scanned.encodedAck(accepted: UInt32(stored.accepted), duplicates: UInt32(stored.duplicates), generatedIDs: generatedIDs)
    }

    /// `fields` with each event's attribution (SEMANTICS §6), classified once per distinct
    /// url host and query and referrer host (`AttributionCache`).
    private static func attribute(_ scanned: ScannedEventBatch, _ fields: ScannedServerFields) -> ScannedServerFields {
        var out = fields
        var cache = AttributionCache()
        var index = [UInt32](repeating: 0, count: scanned.count)
        let urls = scanned.urlRefs, referrers = scanned.referrerRefs
        scanned.withEntries { entries in
            for i in index.indices {
                index[i] = UInt32(cache.index(urlRef: urls[i], referrerRef: referrers[i], entries: entries))
            }
        }
        out.attributionIndex = index
        out.attributions = cache.attributions
        return out
    }

    /// The record of the events `keep` marks (some were retries): decoded, completed with
    /// `fields` and encoded canonically, as `track` stores a batch with duplicates.
    private static func record(of scanned: ScannedEventBatch, fields: ScannedServerFields, keep: [Bool], project: String, limits: WireLimits) throws(APIError) -> [UInt8] {
        // `scan` accepted these bytes, so decoding them succeeds.
        guard let decoded = scanned.decoded(limits: limits) else {
            throw APIError(.internalError, "a batch the fast path accepted did not decode")
        }
        var events: [Event] = []
        events.reserveCapacity(keep.count)
        for (i, var event) in decoded.batch.events.enumerated() where keep[i] {
            event.receivedAt = fields.receivedAt
            event.timestamp = fields.timestamps[i]
            if event.eventID == nil { event.eventID = fields.generatedIDs.string(i) }
            event.attribution = fields.attributions[Int(fields.attributionIndex[i])]
            events.append(event)
        }
        return StoredEventBatch(project: project, events: events).encoded(capacity: events.count * 96)
    }
}
