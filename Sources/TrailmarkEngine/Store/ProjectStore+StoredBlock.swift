import TrailmarkWire

extension ProjectStore {
    /// Adds a stored event batch (log record `recordSeq`) from its validated bytes: the same
    /// rows, dictionaries, `event_id` set and duplicate slots as `ingest(_:recordSeq:)` of
    /// the decoded batch (`StoredBlockIngestTests`), without an `Event` per event.
    ///
    /// Each dictionary entry of the block is interned at most once per engine dictionary
    /// (a per-block memo: entry index → engine id), by its bytes in place.
    ///
    /// Precondition: the store has a fetcher (`!retainsLargeFields`): the view does not
    /// carry the large fields `RowExtras` keeps (`EventEngine` routes the other case).
    func ingest(_ view: StoredEventBatchView, recordSeq: UInt64) -> (accepted: Int, duplicates: Int) {
        precondition(!retainsLargeFields, "a store without a fetcher keeps large fields: ingest the decoded batch")
        let n = view.count
        let prepared = PreparedStoredBlock(view, fingerprint: fingerprint)
        let unset = StringDictionary.none - 1
        // Per dictionary entry, its id in each engine dictionary once interned.
        var names = [UInt32](repeating: unset, count: view.entryCount)
        var anons = names, users = names, sessions = names
        var attributionIDs = [UInt32](repeating: unset, count: prepared.attributions.count)
        // A forgotten event (forget compaction) keeps only its fingerprint.
        let (skip, duplicates) = ids.withLock { $0.add(prepared.fingerprints, erased: { prepared.erased[$0] }, recordSeq: recordSeq) }
        return state.withLock { s in
            var accepted = 0
            s.touchSink &+= s.anons.touch(prepared.anonHashes) &+ s.users.touch(prepared.userHashes)
                &+ s.sessions.touch(prepared.sessionHashes)
            for i in 0..<n where !skip[i] {
                let seq = StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i)
                let anon = Self.id(view.anonymousID(i), view, prepared, &anons, &s.anons)
                let slot = Int(prepared.attributionSlot[i])
                if attributionIDs[slot] == unset { attributionIDs[slot] = s.internAttribution(prepared.attributions[slot]) }
                // An empty user or session is no value (`StringDictionary.hash(ofPresent:)`).
                let u = view.userID(i), se = view.sessionID(i)
                let user = u == StoredEventBatchView.absent || view.entryLength(u) == 0 ? StringDictionary.none
                    : Self.id(u, view, prepared, &users, &s.users)
                let session = se == StoredEventBatchView.absent || view.entryLength(se) == 0 ? StringDictionary.none
                    : Self.id(se, view, prepared, &sessions, &s.sessions)
                let name = Self.id(view.name(i), view, prepared, &names, &s.names)
                s.appendRow(
                    timestamp: view.timestamp(i) ?? view.receivedAt(i) ?? 0, seq: seq,
                    name: name, anon: anon, user: user, session: session, attribution: attributionIDs[slot]
                )
                accepted += 1
            }
            s.publish()
            return (accepted, duplicates)
        }
    }

    /// The id in `dictionary` of entry `k`, interned by its bytes the first time this block
    /// uses it for that dictionary (`memo`).
    @inline(__always)
    private static func id(
        _ k: UInt32, _ view: StoredEventBatchView, _ prepared: PreparedStoredBlock, _ memo: inout [UInt32], _ dictionary: inout StringDictionary
    ) -> UInt32 {
        let known = memo[Int(k)]
        if known != StringDictionary.none - 1 { return known }
        let id = dictionary.intern(bytes: view.entry(k), hash: prepared.entryHashes[Int(k)])
        memo[Int(k)] = id
        return id
    }
}
