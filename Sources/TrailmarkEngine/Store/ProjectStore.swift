import Synchronization
import TrailmarkWire

/// Everything the engine holds for one project: append-only columns, dictionaries,
/// identifies, what forgets deleted, the `event_id` set and cached indexes.
///
/// Concurrency: one `Mutex` (`state`) guards the writer side. Ingest appends under it (a
/// batch's worth of slot writes, then the new row count is visible). A query takes a
/// `StoreSnapshot` under the same lock — copies of chunk directories and counts, O(chunks)
/// — and then reads without any lock, because slots below a snapshot's count are never
/// written again (`ColumnChunk`). So a query sees exactly what was ingested before it
/// started, and ingest waits at most for one snapshot copy. Derived indexes (identity,
/// per-anonymous-id rows) are built outside the lock and published back into the cache.
///
/// The `event_id` set and the slots of skipped duplicates have a lock of their own (`ids`):
/// ingest's duplicate check (`containsFingerprints`, on the ingest actor) then waits only
/// for the id phase of the record the indexer is adding, not for its rows. The indexer
/// (the log's single tailer) takes the two locks one after the other, never together:
/// first it decides which events are new (`ids`), then it appends their rows (`state`).
/// Queries never read `ids` (only the memory reports do, for its size); a duplicate check
/// may see a record's ids before its rows, which changes nothing (ingest also knows every
/// written, not yet indexed id).
final class ProjectStore: Sendable {
    /// The `event_id` fingerprints of every stored event (erased ones included) and, per
    /// fingerprint, the seqs of events skipped as duplicates of it (rare: ingest drops
    /// retries before the log; a forget erases these slots with the original).
    struct IDs: Sendable {
        var eventIDs = EventIDSet()
        var duplicateSlots: [UInt64: [UInt64]] = [:]
        /// Keeps the prefetching loads observable (see `EventIDSet.touch`).
        var touchSink: UInt64 = 0

        /// Adds the fingerprints of record `recordSeq`'s events (0 = no id) and returns,
        /// per event, whether it is skipped: erased (only its fingerprint remains) or a
        /// duplicate of an earlier event (its slot remembered), with the duplicates count.
        mutating func add(_ fingerprints: [UInt64], erased: (Int) -> Bool, recordSeq: UInt64) -> (skip: [Bool], duplicates: Int) {
            eventIDs.reserve(additional: fingerprints.count)
            touchSink &+= eventIDs.touch(fingerprints)
            var skip = [Bool](repeating: false, count: fingerprints.count)
            var duplicates = 0
            for (i, fingerprint) in fingerprints.enumerated() {
                if erased(i) {
                    if fingerprint != 0 { _ = eventIDs.insert(fingerprint: fingerprint) }
                    skip[i] = true
                } else if fingerprint != 0 && !eventIDs.insert(fingerprint: fingerprint) {
                    duplicateSlots[fingerprint, default: []].append(StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i))
                    skip[i] = true
                    duplicates += 1
                }
            }
            return (skip, duplicates)
        }
    }

    struct State: Sendable {
        var timestamp = AppendOnlyColumn<Int64>()
        var seq = AppendOnlyColumn<UInt64>()
        var name = AppendOnlyColumn<UInt32>()
        var anon = AppendOnlyColumn<UInt32>()
        var user = SparseColumn()
        var session = SparseColumn()
        var attribution = AppendOnlyColumn<UInt32>()
        var extras = AppendOnlyColumn<RowExtras?>()
        var identifies = AppendOnlyColumn<IdentifyEntry>()
        var names = StringDictionary()
        var anons = StringDictionary()
        var users = StringDictionary()
        var sessions = StringDictionary()
        var attributionIDs: [Attribution: UInt32] = [:]
        /// Recently interned stored attributions, matched by representation: events of a log
        /// share a few attribution values (decoded strings share storage), so most rows find
        /// theirs here without hashing or copying it.
        var recentAttributions = RepresentationMatch<Attribution?>(limit: 16)
        /// Every appended seq exceeded the previous one (see `StoreSnapshot.seqAscending`).
        var seqAscending = true
        /// Keeps the prefetching loads of `ingest` observable (see `EventIDSet.touch`).
        var touchSink: UInt64 = 0
        var lastSeq: UInt64?
        /// Per string column, recently interned values and their ids: a batch from one device
        /// repeats them, and comparing 16 bytes in place is far cheaper than probing the
        /// dictionary (`RecentStrings`).
        var recentName = RecentStrings()
        var recentAnon = RecentStrings()
        var recentUser = RecentStrings()
        var recentSession = RecentStrings()
        /// The name and attribution ids of every `$identify` row, once interned (ids never
        /// change): each identify otherwise hashed the name and the attribution again.
        var identifyIDs: (name: UInt32, attribution: UInt32)?
        var attributions = AppendOnlyColumn<Attribution>()
        var deleted = DeletedRows.none
        /// Every stored identify's (anonymous id, user, timestamp) → the seqs of retries of
        /// it that were skipped (a retry is not stored twice, but its slot is in the log).
        var identifyKeys: [IdentifyKey: [UInt64]] = [:]
        var identityCache: IdentityIndex?
        var rowIndexCache: RowIndex?
        /// Rows in §2 order for events pages (`TimeOrder`).
        var timeOrderCache: TimeOrder?
    }

    let project: String
    let retainsLargeFields: Bool
    let fetcher: RecordFetcher?
    let fingerprint: EventIDFingerprint
    let state = Mutex(State())
    let ids = Mutex(IDs())
    /// Per-key property columns read through the fetcher (nil without one).
    let propertyColumns: PropertyColumns?

    init(project: String, fetcher: RecordFetcher?, fingerprint: EventIDFingerprint) {
        self.project = project
        self.fetcher = fetcher
        self.fingerprint = fingerprint
        self.retainsLargeFields = fetcher == nil
        self.propertyColumns = fetcher == nil ? nil : PropertyColumns()
    }

    /// Adds a stored event batch (log record `recordSeq`); events whose `event_id` was
    /// seen before are skipped. Returns (stored, duplicates).
    func ingest(_ batch: StoredEventBatch, recordSeq: UInt64) -> (accepted: Int, duplicates: Int) {
        batch.events.withUnsafeBufferPointer { events in
            // Hashes and attributions outside the lock; under it, touch first so cache misses overlap.
            let prepared = PreparedEventBatch(events, fingerprint: fingerprint)
            let retain = retainsLargeFields
            // A forgotten event (forget compaction) keeps only its fingerprint.
            let (skip, duplicates) = ids.withLock { $0.add(prepared.fingerprints, erased: { ErasedSlots.isErased(events[$0]) }, recordSeq: recordSeq) }
            return state.withLock { s in
                var accepted = 0
                s.touchSink &+= s.anons.touch(prepared.anonHashes) &+ s.users.touch(prepared.userHashes)
                    &+ s.sessions.touch(prepared.sessionHashes)
                for i in events.indices where !skip[i] {
                    let anon = s.anons.intern(events, i, EventStringField.anonymousID, hash: prepared.anonHashes[i], recent: &s.recentAnon) { events[i].anonymousID }
                    let attribution = s.attributionID(events, i, computed: prepared.computed)
                    // A hash is 0 exactly when the event has no such value (`PreparedEventBatch`).
                    let user = prepared.userHashes[i] == 0 ? StringDictionary.none
                        : s.users.intern(events, i, EventStringField.userID, hash: prepared.userHashes[i], recent: &s.recentUser) { events[i].userID ?? "" }
                    let session = prepared.sessionHashes[i] == 0 ? StringDictionary.none
                        : s.sessions.intern(events, i, EventStringField.sessionID, hash: prepared.sessionHashes[i], recent: &s.recentSession) { events[i].sessionID ?? "" }
                    let name = s.names.intern(events, i, EventStringField.name, hash: nil, recent: &s.recentName) { events[i].event }
                    s.appendRow(
                        timestamp: events[i].timestamp ?? events[i].receivedAt ?? 0,
                        seq: StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i),
                        name: name, anon: anon, user: user, session: session, attribution: attribution
                    )
                    if retain { s.extras.append(RowExtras.of(events[i])) }
                    accepted += 1
                }
                s.publish()
                return (accepted, duplicates)
            }
        }
    }

    /// Adds stored identifies and the `$identify` event each implies (SEMANTICS §1).
    /// The row is `Identify.impliedEvent(seq:)`: its received time is kept with the other
    /// large fields (in `extras`, or read back by the fetcher).
    func ingest(_ batch: StoredIdentifyBatch, recordSeq: UInt64) {
        let retain = retainsLargeFields
        state.withLock { s in
            for (i, identify) in batch.identifies.enumerated() where !identify.anonymousID.isEmpty && !identify.userID.isEmpty {
                let seq = StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i)
                let ts = identify.storedTimestamp
                let anon = s.anons.intern(identify.anonymousID)
                let user = s.users.intern(identify.userID)
                // The same pair at the same time again is a retried identify (SEMANTICS §1:
                // "identifying the same pair again is harmless"): no second `$identify`.
                let key = IdentifyKey(anon: anon, user: user, timestamp: ts)
                if s.identifyKeys[key] != nil {
                    s.identifyKeys[key]!.append(seq)  // present: checked on the line above
                    continue
                }
                s.identifyKeys[key] = []
                s.identifies.append(IdentifyEntry(anon: anon, user: user, timestamp: ts, seq: seq))
                let implied = s.impliedIdentifyIDs()
                s.appendRow(
                    timestamp: ts, seq: seq, name: implied.name, anon: anon, user: user,
                    session: StringDictionary.none, attribution: implied.attribution
                )
                if retain { s.extras.append(RowExtras.of(identify.impliedEvent(seq: seq))) }
            }
            s.publish()
        }
    }

    /// Applies a forget (`docs/ENGINE.md` § Forget): deletes every row whose stitched user is
    /// `userID`, every row of an anonymous id all of whose identifies name it, and the
    /// user's identifies. Returns the seqs of the slots forget compaction erases: the
    /// deleted rows' and those of skipped retries of them. Called only by the log's single tailer, so no ingest runs meanwhile.
    func forget(userID: String) -> ForgetOutcome {
        let snap = snapshot()
        guard let u = lookup(snap, user: userID).user else { return ForgetOutcome(hidden: 0, erasedSeqs: []) }
        let anons = snap.identity.anonsByUser[u] ?? []
        let index = rowIndex(for: snap)
        var candidates = Set(index.rows(user: u).lazy.map { Int($0) })
        for a in anons { candidates.formUnion(index.rows(anon: a).lazy.map { Int($0) }) }
        let anonSet = Set(anons)
        for row in index.rowCount..<snap.rowCount where snap.user[row] == u || anonSet.contains(snap.anon[row]) {
            candidates.insert(row)
        }
        let rows = candidates.filter { row in
            !snap.isDeleted(row) && (snap.stitchedUser(row) == u || snap.identity.onlyUser(anon: snap.anon[row]) == u)
        }.sorted()
        var identifySeqs: [UInt64] = []
        var identifyKeys: [IdentifyKey] = []
        snap.identifies.forEachChunk(in: 0..<snap.identifies.count) { buffer, _ in
            for e in buffer where e.user == u && !snap.deleted.identifySeqs.contains(e.seq) {
                identifySeqs.append(e.seq)
                identifyKeys.append(IdentifyKey(anon: e.anon, user: e.user, timestamp: e.timestamp))
            }
        }
        // Skipped duplicates of the deleted events carry the same data: erase them too.
        let hasDuplicates = ids.withLock { !$0.duplicateSlots.isEmpty }
        let eventFingerprints = hasDuplicates
            ? rows.compactMap { row in snap.largeFields(row).eventID.flatMap { $0.isEmpty ? nil : fingerprint($0) } }
            : []
        let skipped: [UInt64] = state.withLock { s in
            s.deleted = s.deleted.adding(rows: rows, identifySeqs: identifySeqs)
            var skipped: [UInt64] = []
            // Erased identifies leave no key on disk, so none stays here either (replay
            // after compaction must decide the same).
            for key in identifyKeys { skipped += s.identifyKeys.removeValue(forKey: key) ?? [] }
            return skipped
        } + ids.withLock { d in eventFingerprints.flatMap { d.duplicateSlots.removeValue(forKey: $0) ?? [] } }
        return ForgetOutcome(hidden: UInt64(rows.count), erasedSeqs: (rows.map { snap.seq[$0] } + skipped).sorted())
    }

    /// For each fingerprint (0 = none): already in the `event_id` set. One lock for all.
    /// Touches every home slot first so the cache misses overlap instead of queueing.
    func containsFingerprints(_ fingerprints: [UInt64]) -> [Bool] {
        ids.withLock { d in
            d.touchSink &+= d.eventIDs.touch(fingerprints)
            return fingerprints.map { $0 != 0 && d.eventIDs.contains(fingerprint: $0) }
        }
    }

    /// A consistent view of everything ingested so far (see the type's comment).
    func snapshot() -> StoreSnapshot {
        // Under the lock: O(chunks) copies of the chunk directories and counts.
        var snap = state.withLock { s in StoreSnapshot(state: s, project: project, fetcher: fetcher, propertyColumns: propertyColumns) }
        if snap.identityIsStale {
            let index = IdentityIndex(identifies: snap.identifies, deleted: snap.deleted)
            snap.identity = index
            state.withLock { s in
                if (s.identityCache?.identifyCount ?? -1) <= index.identifyCount && (s.identityCache?.deletedGeneration ?? -1) <= index.deletedGeneration {
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
        timestamp ts: Int64, seq sq: UInt64, name n: UInt32, anon a: UInt32, user u: UInt32, session se: UInt32,
        attribution attr: UInt32
    ) {
        timestamp.append(ts)
        seq.append(sq)
        name.append(n)
        if let last = lastSeq, sq <= last { seqAscending = false }
        lastSeq = sq
        anon.append(a)
        if u != StringDictionary.none { user.append(row: timestamp.count - 1, value: u) }
        if se != StringDictionary.none { session.append(row: timestamp.count - 1, value: se) }
        attribution.append(attr)
    }

    /// The attribution id of `events[i]`: its stored attribution, else `computed[i]`.
    mutating func attributionID(_ events: UnsafeBufferPointer<Event>, _ i: Int, computed: [Int: Attribution]) -> UInt32 {
        if let offset = PreparedEventBatch.attributionOffset,
            let k = recentAttributions.find(RepresentationMatch<Attribution?>.field(offset: offset, of: events, at: i))
        {
            return k
        }
        if let c = computed[i] { return internAttribution(c) }
        let a = events[i].attribution ?? AttributionClassifier.classify(url: events[i].url, referrer: events[i].referrer)
        let k = internAttribution(a)
        recentAttributions.remember(a, as: k)  // stored: its representation recurs in later events
        return k
    }

    /// The name and attribution ids of the `$identify` row an identify implies.
    mutating func impliedIdentifyIDs() -> (name: UInt32, attribution: UInt32) {
        if let ids = identifyIDs { return ids }
        let ids = (names.intern(Identify.impliedEventName), internAttribution(Identify.impliedAttribution))
        identifyIDs = ids
        return ids
    }

    /// The id of an attribution, adding it when new.
    mutating func internAttribution(_ attr: Attribution) -> UInt32 {
        if let known = attributionIDs[attr] { return known }
        let id = UInt32(attributions.count)
        attributions.append(attr)
        attributionIDs[attr] = id
        return id
    }

    /// Allocated bytes of the row columns and the identifies (estimates; see `MemoryReport`).
    var columnBytes: Int {
        timestamp.allocatedBytes + seq.allocatedBytes + name.allocatedBytes + anon.allocatedBytes + user.allocatedBytes
            + session.allocatedBytes + attribution.allocatedBytes + extras.allocatedBytes + identifies.allocatedBytes
    }

    /// Approximate bytes of the four string dictionaries.
    var dictionaryBytes: Int {
        names.approximateBytes + anons.approximateBytes + users.approximateBytes + sessions.approximateBytes
    }

    /// Publishes every column's count to its chunks (see `AppendOnlyColumn.publish()`).
    func publish() {
        // Called once per ingest call: direct calls, no array of closures (which would copy
        // every dictionary and column it captures).
        session.publish()
        user.publish()
        timestamp.publish()
        seq.publish()
        name.publish()
        anon.publish()
        attribution.publish()
        extras.publish()
        identifies.publish()
        attributions.publish()
        names.publish()
        anons.publish()
        users.publish()
        sessions.publish()
    }
}
