import TrailmarkWire

/// What `ProjectStore.ingest` computes for an event batch before it takes the project lock:
/// per event, the `event_id` fingerprint and the dictionary hashes of its anonymous id,
/// user and session; the attribution of events stored without one.
///
/// Reads each event's fields in place (no `Event` is copied). Under the lock, stored
/// attributions are matched by representation against the project's recent ones
/// (`ProjectStore.State.recentAttributions`).
struct PreparedEventBatch {
    /// Per event: the `EventIDFingerprint` of its `event_id`, 0 when it has none; for an
    /// erased slot, the fingerprint the slot kept (`ErasedSlots`).
    private(set) var fingerprints: [UInt64]
    /// Per event: `StringDictionary.hash(of:)` of its anonymous id (0 for an erased slot).
    private(set) var anonHashes: [UInt64]
    /// Per event: the hash of its `user_id` / `session_id`, 0 when it has none (or is erased).
    private(set) var userHashes: [UInt64]
    private(set) var sessionHashes: [UInt64]
    /// By event index: the attribution of events stored without one (SEMANTICS §6).
    private(set) var computed: [Int: Attribution] = [:]

    /// Where `Event.attribution` is in an `Event` (nil would only disable the fast path).
    static let attributionOffset = MemoryLayout<Event>.offset(of: \Event.attribution)

    init(_ events: UnsafeBufferPointer<Event>, fingerprint: EventIDFingerprint) {
        let n = events.count
        fingerprints = Array(repeating: 0, count: n)
        anonHashes = Array(repeating: 0, count: n)
        userHashes = Array(repeating: 0, count: n)
        sessionHashes = Array(repeating: 0, count: n)
        for i in 0..<n {
            if ErasedSlots.isErased(events[i]) {
                fingerprints[i] = ErasedSlots.fingerprint(ofErased: events[i])
                continue
            }
            if let id = events[i].eventID, !id.isEmpty { fingerprints[i] = fingerprint(id) }
            anonHashes[i] = StringDictionary.hash(of: events[i].anonymousID)
            userHashes[i] = StringDictionary.hash(ofPresent: events[i].userID)
            sessionHashes[i] = StringDictionary.hash(ofPresent: events[i].sessionID)
            if case .none = events[i].attribution {
                computed[i] = AttributionClassifier.classify(url: events[i].url, referrer: events[i].referrer)
            }
        }
    }
}
