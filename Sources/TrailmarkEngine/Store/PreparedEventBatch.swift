import TrailmarkWire

/// What `ProjectStore.ingest` computes for an event batch before it takes the project lock:
/// per event, the `event_id` fingerprint, the dictionary hashes of its anonymous id, user
/// and session, and its attribution as an index into the batch's few distinct attributions.
///
/// Reads each event's fields in place (no `Event` is copied). Attribution is computed here
/// for events stored without one. A batch mostly repeats a handful of attributions (decoded
/// records share their strings' storage), so an event's stored attribution is first compared
/// bit for bit with the previous event's and the batch's first `linearLimit` distinct ones
/// (`RepresentationMatch`), and only then by `==`, through a dictionary once there are more.
struct PreparedEventBatch {
    /// Per event: `EventIDSet.fingerprint` of its `event_id`, 0 when it has none; for an
    /// erased slot, the fingerprint the slot kept (`ErasedSlots`).
    private(set) var fingerprints: [UInt64]
    /// Per event: `StringDictionary.hash(of:)` of its anonymous id (0 for an erased slot).
    private(set) var anonHashes: [UInt64]
    /// Per event: the hash of its `user_id` / `session_id`, 0 when it has none (or is erased).
    private(set) var userHashes: [UInt64]
    private(set) var sessionHashes: [UInt64]
    /// Per event: index into `attributions` (0 for an erased slot).
    private(set) var attributionIndex: [UInt32]
    /// The batch's distinct attributions, in order of first appearance.
    private(set) var attributions: [Attribution] = []

    /// Distinct attributions searched linearly before a dictionary is built.
    static let linearLimit = 8
    /// Where `Event.attribution` is in an `Event` (nil would only disable the fast path).
    static let attributionOffset = MemoryLayout<Event>.offset(of: \Event.attribution)

    init(_ events: UnsafeBufferPointer<Event>) {
        let n = events.count
        fingerprints = Array(repeating: 0, count: n)
        anonHashes = Array(repeating: 0, count: n)
        userHashes = Array(repeating: 0, count: n)
        sessionHashes = Array(repeating: 0, count: n)
        attributionIndex = Array(repeating: 0, count: n)
        var byValue: [Attribution: UInt32] = [:]
        var stored = RepresentationMatch<Attribution?>(limit: 16)
        for i in 0..<n {
            if ErasedSlots.isErased(events[i]) {
                fingerprints[i] = ErasedSlots.fingerprint(ofErased: events[i])
                continue
            }
            if let id = events[i].eventID, !id.isEmpty { fingerprints[i] = EventIDSet.fingerprint(id) }
            anonHashes[i] = StringDictionary.hash(of: events[i].anonymousID)
            if let u = events[i].userID, !u.isEmpty { userHashes[i] = StringDictionary.hash(of: u) }
            if let s = events[i].sessionID, !s.isEmpty { sessionHashes[i] = StringDictionary.hash(of: s) }
            if events[i].attribution != nil, let offset = PreparedEventBatch.attributionOffset,
                let k = stored.find(RepresentationMatch<Attribution?>.field(offset: offset, of: events, at: i))
            {
                attributionIndex[i] = k
                continue
            }
            let a = events[i].attribution ?? AttributionClassifier.classify(url: events[i].url, referrer: events[i].referrer)
            let k = UInt32(index(of: a, in: &byValue))
            attributionIndex[i] = k
            if events[i].attribution != nil { stored.remember(events[i].attribution, as: k) }
        }
    }

    /// The index of `a` in `attributions`, appending it when new.
    private mutating func index(of a: Attribution, in byValue: inout [Attribution: UInt32]) -> Int {
        if attributions.count <= PreparedEventBatch.linearLimit {
            if let k = attributions.firstIndex(of: a) { return k }
        } else {
            if byValue.isEmpty { for (k, known) in attributions.enumerated() { byValue[known] = UInt32(k) } }
            if let k = byValue[a] { return Int(k) }
            byValue[a] = UInt32(attributions.count)
        }
        attributions.append(a)
        return attributions.count - 1
    }
}
