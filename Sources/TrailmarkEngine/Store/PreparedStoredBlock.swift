import TrailmarkWire

/// What `ProjectStore.ingest(_:recordSeq:)` computes from a `StoredEventBatchView` before
/// it takes the project lock — the bytes path's `PreparedEventBatch`: per event, the
/// `event_id` fingerprint and its attribution; per dictionary entry used as a name,
/// anonymous id, user or session, the dictionary hash of its bytes, each computed once
/// however many events reference the entry.
///
/// Everything is read from the payload in place; a `String` is made only once per
/// distinct attribution of the block (and per distinct url/referrer pair of events stored
/// without one, which the classifier needs).
struct PreparedStoredBlock {
    /// Per event: the `EventIDFingerprint` of its `event_id` (0 when none or empty); for an
    /// erased slot, the fingerprint the slot kept (`ErasedSlots`).
    private(set) var fingerprints: [UInt64]
    /// Per event: true for an erased slot (empty name).
    private(set) var erased: [Bool]
    /// Per dictionary entry: `StringDictionary.hash` of its bytes when some live event
    /// uses it as a name, anonymous id, user or session, else 0.
    private(set) var entryHashes: [UInt64]
    /// The distinct entry hashes per column, for `StringDictionary.touch`.
    private(set) var anonHashes: [UInt64] = []
    private(set) var userHashes: [UInt64] = []
    private(set) var sessionHashes: [UInt64] = []
    /// Per event: an index into `attributions` (-1 for an erased slot).
    private(set) var attributionSlot: [Int32]
    /// The block's distinct attributions (by reference; equal text may repeat in a
    /// non-canonical block, which `internAttribution` folds).
    private(set) var attributions: [Attribution] = []

    init(_ view: StoredEventBatchView, fingerprint: EventIDFingerprint) {
        let n = view.count
        fingerprints = Array(repeating: 0, count: n)
        erased = Array(repeating: false, count: n)
        entryHashes = Array(repeating: 0, count: view.entryCount)
        attributionSlot = Array(repeating: -1, count: n)
        // By references / by (url, referrer) refs: the slot in `attributions`. A block holds
        // a few distinct attributions: the first `scanned` are found by a linear scan (no
        // hashing), any beyond through `stored`.
        var distinct: [StoredEventBatchView.AttributionRefs] = []
        var distinctSlots: [Int32] = []
        let scanned = 32
        var stored: [StoredEventBatchView.AttributionRefs: Int32] = [:]
        var previous: (refs: StoredEventBatchView.AttributionRefs, slot: Int32)?
        var computed: [UInt64: Int32] = [:]
        let absent = StoredEventBatchView.absent
        for i in 0..<n {
            let id = view.eventID(i)
            if view.entryLength(view.name(i)) == 0 {
                erased[i] = true
                if id != absent { fingerprints[i] = ErasedSlots.fingerprint(ofErasedUTF8: view.entry(id)) }
                continue
            }
            if id != absent && view.entryLength(id) > 0 { fingerprints[i] = fingerprint(utf8: view.entry(id)) }
            _ = hash(view.name(i), view)
            if let h = hash(view.anonymousID(i), view) { anonHashes.append(h) }
            if view.userID(i) != absent, let h = hash(view.userID(i), view) { userHashes.append(h) }
            if view.sessionID(i) != absent, let h = hash(view.sessionID(i), view) { sessionHashes.append(h) }
            if let a = view.attributionIndex(i) {
                let refs = view.attributions[a]
                if let previous, previous.refs == refs {
                    attributionSlot[i] = previous.slot
                    continue
                }
                let slot: Int32
                if let k = distinct.firstIndex(of: refs) {
                    slot = distinctSlots[k]
                } else if distinct.count == scanned, let known = stored[refs] {
                    slot = known
                } else {
                    slot = append(view.attribution(a))
                    if distinct.count < scanned {
                        distinct.append(refs)
                        distinctSlots.append(slot)
                    } else {
                        stored[refs] = slot
                    }
                }
                previous = (refs, slot)
                attributionSlot[i] = slot
            } else {
                let key = UInt64(view.url(i)) << 32 | UInt64(view.referrer(i))
                if let slot = computed[key] {
                    attributionSlot[i] = slot
                } else {
                    let slot = append(AttributionClassifier.classify(url: view.string(optional: view.url(i)), referrer: view.string(optional: view.referrer(i))))
                    computed[key] = slot
                    attributionSlot[i] = slot
                }
            }
        }
    }

    /// Hashes entry `k` the first time the block uses it; returns the hash then, nil after.
    @inline(__always)
    private mutating func hash(_ k: UInt32, _ view: StoredEventBatchView) -> UInt64? {
        guard entryHashes[Int(k)] == 0 else { return nil }
        let h = StringDictionary.hash(view.entry(k))
        entryHashes[Int(k)] = h
        return h
    }

    private mutating func append(_ a: Attribution) -> Int32 {
        attributions.append(a)
        return Int32(attributions.count - 1)
    }
}
