import Synchronization
import TrailmarkWire

/// Everything the engine holds for one project: append-only columns, dictionaries,
/// identifies, forgotten users, the `event_id` set and cached indexes.
///
/// Concurrency: one `Mutex` guards the writer side. Ingest appends under it (a batch's
/// worth of slot writes, then the new row count is visible). A query takes a
/// `StoreSnapshot` under the same lock — copies of chunk directories and counts, O(chunks)
/// — and then reads without any lock, because slots below a snapshot's count are never
/// written again (`ColumnChunk`). So a query sees exactly what was ingested before it
/// started, and ingest waits at most for one snapshot copy. Derived indexes (identity,
/// per-anonymous-id rows) are built outside the lock and published back into the cache.
final class ProjectStore: Sendable {
    struct State: Sendable {
        var timestamp = AppendOnlyColumn<Int64>()
        var seq = AppendOnlyColumn<UInt64>()
        var name = AppendOnlyColumn<UInt32>()
        var anon = AppendOnlyColumn<UInt32>()
        var user = AppendOnlyColumn<UInt32>()
        var session = AppendOnlyColumn<UInt32>()
        var attribution = AppendOnlyColumn<UInt32>()
        var extras = AppendOnlyColumn<RowExtras?>()
        var identifies = AppendOnlyColumn<IdentifyEntry>()
        var names = StringDictionary()
        var anons = StringDictionary()
        var users = StringDictionary()
        var sessions = StringDictionary()
        var attributionIDs: [Attribution: UInt32] = [:]
        var attributions = AppendOnlyColumn<Attribution>()
        var forgotten: [UInt32] = []
        var eventIDs = EventIDSet()
        var identityCache: IdentityIndex?
        var rowIndexCache: RowIndex?
    }

    let project: String
    let retainsLargeFields: Bool
    let fetcher: RecordFetcher?
    let state = Mutex(State())

    init(project: String, fetcher: RecordFetcher?) {
        self.project = project
        self.fetcher = fetcher
        self.retainsLargeFields = fetcher == nil
    }

    /// Adds a stored event batch (log record `recordSeq`); events whose `event_id` was
    /// seen before are skipped. Returns (stored, duplicates).
    func ingest(_ batch: StoredEventBatch, recordSeq: UInt64) -> (accepted: Int, duplicates: Int) {
        // Attribution is stored with the event; compute it outside the lock if missing.
        let attributions = batch.events.map { $0.attribution ?? AttributionClassifier.classify(url: $0.url, referrer: $0.referrer) }
        let retain = retainsLargeFields
        return state.withLock { s in
            var accepted = 0, duplicates = 0
            for (i, e) in batch.events.enumerated() {
                if let id = e.eventID, !id.isEmpty, !s.eventIDs.insert(id) {
                    duplicates += 1
                    continue
                }
                s.appendRow(
                    timestamp: e.timestamp ?? e.receivedAt ?? 0, seq: StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i),
                    name: e.event, anon: e.anonymousID, user: e.userID, session: e.sessionID,
                    attribution: attributions[i]
                )
                if retain { s.extras.append(RowExtras.of(e)) }
                accepted += 1
            }
            return (accepted, duplicates)
        }
    }

    /// Adds stored identifies and the `$identify` event each implies (SEMANTICS §1).
    func ingest(_ batch: StoredIdentifyBatch, recordSeq: UInt64) {
        let direct = AttributionClassifier.classify(url: nil, referrer: nil)
        state.withLock { s in
            for (i, identify) in batch.identifies.enumerated() where !identify.anonymousID.isEmpty && !identify.userID.isEmpty {
                let seq = StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i)
                let ts = identify.timestamp ?? 0
                let anon = s.anons.intern(identify.anonymousID)
                let user = s.users.intern(identify.userID)
                s.identifies.append(IdentifyEntry(anon: anon, user: user, timestamp: ts, seq: seq))
                s.appendRow(
                    timestamp: ts, seq: seq, name: "$identify", anon: identify.anonymousID, user: identify.userID,
                    session: nil, attribution: direct
                )
                if self.retainsLargeFields { s.extras.append(nil) }
            }
        }
    }

    /// Records a forget; returns how many events it newly hides.
    func forget(userID: String) -> UInt64 {
        let before = snapshot()
        state.withLock { s in
            let u = s.users.intern(userID)
            if !s.forgotten.contains(u) { s.forgotten.append(u) }
        }
        let after = snapshot()
        var hidden: UInt64 = 0
        for row in 0..<after.rowCount {
            let anon = after.anon[row]
            let user = after.identity.user(rowUser: after.user[row], anon: anon, timestamp: after.timestamp[row])
            if after.identity.isHidden(user: user, anon: anon)
                && !(row < before.rowCount && before.identity.isHidden(user: before.identity.user(rowUser: before.user[row], anon: anon, timestamp: before.timestamp[row]), anon: anon))
            {
                hidden += 1
            }
        }
        return hidden
    }

    func isDuplicate(eventID: String) -> Bool {
        state.withLock { $0.eventIDs.contains(eventID) }
    }

    /// A consistent view of everything ingested so far (see the type's comment).
    func snapshot() -> StoreSnapshot {
        // Under the lock: O(chunks) copies of the chunk directories and counts.
        var snap = state.withLock { s in StoreSnapshot(state: s, project: project, fetcher: fetcher) }
        if snap.identityIsStale {
            let index = IdentityIndex(identifies: snap.identifies, forgotten: snap.forgotten)
            snap.identity = index
            state.withLock { s in
                if (s.identityCache?.identifyCount ?? -1) <= index.identifyCount && (s.identityCache?.forgottenCount ?? -1) <= index.forgottenCount {
                    s.identityCache = index
                }
            }
        }
        return snap
    }

    /// The per-anonymous-id / per-user row index for `snap`, built now if the cached one
    /// covers too small a prefix (the rest is scanned by the caller).
    func rowIndex(for snap: StoreSnapshot) -> RowIndex {
        if let cached = state.withLock({ $0.rowIndexCache }), cached.rowCount <= snap.rowCount,
            snap.rowCount - cached.rowCount <= max(1 << 16, cached.rowCount / 8)
        {
            return cached
        }
        let index = RowIndex(snap)
        state.withLock { s in
            if (s.rowIndexCache?.rowCount ?? -1) < index.rowCount { s.rowIndexCache = index }
        }
        return index
    }
}

extension ProjectStore.State {
    mutating func appendRow(
        timestamp ts: Int64, seq sq: UInt64, name n: String, anon a: String, user u: String?, session se: String?,
        attribution attr: Attribution
    ) {
        timestamp.append(ts)
        seq.append(sq)
        name.append(names.intern(n))
        anon.append(anons.intern(a))
        user.append(u.flatMap { $0.isEmpty ? nil : users.intern($0) } ?? StringDictionary.none)
        session.append(se.flatMap { $0.isEmpty ? nil : sessions.intern($0) } ?? StringDictionary.none)
        let attrID: UInt32
        if let id = attributionIDs[attr] {
            attrID = id
        } else {
            attrID = UInt32(attributions.count)
            attributions.append(attr)
            attributionIDs[attr] = attrID
        }
        attribution.append(attrID)
    }
}
