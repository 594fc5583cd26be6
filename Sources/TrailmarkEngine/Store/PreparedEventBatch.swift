import TrailmarkWire

/// What `ProjectStore.ingest` computes for an event batch before it takes the project lock:
/// per event, the `event_id` fingerprint, the anonymous id's dictionary hash and its
/// attribution as an index into the batch's few distinct attributions.
///
/// Reads each event's fields in place (no `Event` is copied). Attribution is computed here
/// for events stored without one. A batch mostly repeats a handful of attributions, so an
/// event is compared with the previous event's first (`==` on strings that share storage
/// is a pointer check), then with the batch's distinct ones, through a dictionary once there
/// are more than `linearLimit` of them.
struct PreparedEventBatch {
    /// Per event: `EventIDSet.fingerprint` of its `event_id`, 0 when it has none; for an
    /// erased slot, the fingerprint the slot kept (`ErasedSlots`).
    private(set) var fingerprints: [UInt64]
    /// Per event: `StringDictionary.hash(of:)` of its anonymous id (0 for an erased slot).
    private(set) var anonHashes: [UInt64]
    /// Per event: index into `attributions` (0 for an erased slot).
    private(set) var attributionIndex: [UInt32]
    /// The batch's distinct attributions, in order of first appearance.
    private(set) var attributions: [Attribution] = []

    /// Distinct attributions searched linearly before a dictionary is built.
    static let linearLimit = 8

    init(_ events: UnsafeBufferPointer<Event>) {
        let n = events.count
        fingerprints = Array(repeating: 0, count: n)
        anonHashes = Array(repeating: 0, count: n)
        attributionIndex = Array(repeating: 0, count: n)
        var last = -1
        var byValue: [Attribution: UInt32] = [:]
        for i in 0..<n {
            if ErasedSlots.isErased(events[i]) {
                fingerprints[i] = ErasedSlots.fingerprint(ofErased: events[i])
                continue
            }
            if let id = events[i].eventID, !id.isEmpty { fingerprints[i] = EventIDSet.fingerprint(id) }
            anonHashes[i] = StringDictionary.hash(of: events[i].anonymousID)
            let a = events[i].attribution ?? AttributionClassifier.classify(url: events[i].url, referrer: events[i].referrer)
            if last >= 0 && attributions[last] == a {
                attributionIndex[i] = UInt32(last)
                continue
            }
            last = index(of: a, in: &byValue)
            attributionIndex[i] = UInt32(last)
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
