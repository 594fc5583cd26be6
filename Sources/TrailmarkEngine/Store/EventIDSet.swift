/// The set of `event_id`s seen in one project (SEMANTICS §1: the first event with an id
/// wins; retries are dropped), rebuilt on replay.
///
/// Stores a 64-bit fingerprint per id in an open-addressing table (8 bytes per slot,
/// load factor at most 0.8, growing by 1.25x, any size: the home slot is the high half of
/// `fingerprint × capacity`), not the ids themselves: at 10M ids a full string set would
/// cost more than the rest of the store. The fingerprint (`EventIDFingerprint`) is keyed
/// and deterministic for a data directory, so every replay makes the same decisions. Two
/// distinct ids share a fingerprint with probability about n²/2^65 per project (3·10⁻⁶ at
/// 10M ids); such a pair would be treated as a retry. `docs/ENGINE.md` states this trade.
struct EventIDSet: Sendable {
    private var slots: [UInt64] = Array(repeating: 0, count: 1024)

    /// Home slot of a fingerprint: maps it uniformly onto `0..<capacity` without division.
    @inline(__always)
    private static func home(_ fp: UInt64, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: fp.multipliedFullWidth(by: UInt64(capacity)).high)
    }

    private static func overloaded(_ count: Int, _ capacity: Int) -> Bool { count * 5 > capacity * 4 }
    private(set) var count = 0

    /// Grows now so `n` more inserts cannot grow the table (keeps `touch` results valid).
    mutating func reserve(additional n: Int) {
        if count == 0 && EventIDSet.overloaded(n, slots.count) {
            slots = SlotTable.zeroed(count: (n * 5 + 3) / 4 + 1)  // empty: size it directly
        }
        while EventIDSet.overloaded(count + n, slots.count) { grow() }
    }

    /// Loads the home slot of each fingerprint (0 = none) and the slot 8 further on (the
    /// next cache line: at load 0.64–0.8 a new id's probe run averages 5–13 slots, so it
    /// usually leaves the home line), and returns a value derived from them: the loads are
    /// independent, so the processor overlaps their cache misses, and the inserts that
    /// follow find the lines in cache. The caller keeps the result so the loads are not
    /// optimised away.
    func touch(_ fingerprints: [UInt64]) -> UInt64 {
        var sink: UInt64 = 0
        slots.withUnsafeBufferPointer { s in
            let last = s.count - 1
            for fp in fingerprints where fp != 0 {
                let h = EventIDSet.home(fp, s.count)
                sink &+= s[h] &+ s[min(h + 8, last)]
            }
        }
        return sink
    }

    func contains(fingerprint fp: UInt64) -> Bool {
        var i = EventIDSet.home(fp, slots.count)
        while true {
            let s = slots[i]
            if s == 0 { return false }
            if s == fp { return true }
            i = i + 1 == slots.count ? 0 : i + 1
        }
    }

    /// Adds an id by its fingerprint; returns false when it was already present.
    mutating func insert(fingerprint fp: UInt64) -> Bool {
        if EventIDSet.overloaded(count + 1, slots.count) { grow() }
        var i = EventIDSet.home(fp, slots.count)
        while true {
            let s = slots[i]
            if s == 0 {
                slots[i] = fp
                count += 1
                return true
            }
            if s == fp { return false }
            i = i + 1 == slots.count ? 0 : i + 1
        }
    }

    private mutating func grow() {
        let old = slots
        slots = SlotTable.zeroed(count: old.count + old.count / 4)
        let capacity = slots.count
        for fp in old where fp != 0 {
            var i = EventIDSet.home(fp, capacity)
            while slots[i] != 0 { i = i + 1 == capacity ? 0 : i + 1 }
            slots[i] = fp
        }
    }

    var allocatedBytes: Int { slots.count * 8 }
}
