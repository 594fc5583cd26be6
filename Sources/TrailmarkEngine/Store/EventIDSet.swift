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
///
/// Growth is incremental, so no single call holds the project lock for long. The next,
/// 1.25x table is allocated when the set is 0.75 full (`ZeroedSlots`: nothing written up
/// front) and every insert writes the next `preparationStep` of its slots, so its pages
/// are faulted in a few at a time, in order, rather than all at once by the first random
/// writes after the switch (hundreds of ms of page faults at 16M ids); the 0.05 × capacity
/// inserts up to 0.8 write 3.2 × capacity slots, more than it has. At 0.8 it becomes the
/// table and the old one is kept: every insert then moves the next `migrationStep` old
/// slots into it, and lookups consult both until the old one is empty (a second cache
/// miss per lookup, so the step is large: a migration lasts capacity / 32 inserts, an
/// eighth of a growth cycle, and moving slots in order is cheap). The 0.2 × capacity
/// inserts before the next growth could move 6.4 × capacity slots, so a migration ends
/// before the next growth starts (`reserve` finishes one otherwise, which only a reserve
/// larger than 16% of the table can need). Invariant: the set is the fingerprints in `slots`
/// plus those in `old`; an `old` slot below `migrated` is also in `slots`.
struct EventIDSet: Sendable {
    private var slots = ZeroedSlots(count: 1024)
    /// The table being migrated from (nil when no growth is in progress); never written.
    private var old: ZeroedSlots?
    /// Slots of `old` below this index are in `slots` too.
    private var migrated = 0
    /// The next table while it is being prepared, and how many of its slots were written.
    private var next: ZeroedSlots?
    private var prepared = 0
    /// Old slots moved per insert, and next-table slots written per insert.
    static let migrationStep = 32
    static let preparationStep = 64

    /// Home slot of a fingerprint: maps it uniformly onto `0..<capacity` without division.
    @inline(__always)
    private static func home(_ fp: UInt64, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: fp.multipliedFullWidth(by: UInt64(capacity)).high)
    }

    private static func overloaded(_ count: Int, _ capacity: Int) -> Bool { count * 5 > capacity * 4 }
    private(set) var count = 0

    /// Whether a growth is still moving slots, and the current table's slots (for tests).
    var isMigrating: Bool { old != nil }
    var capacity: Int { slots.count }

    /// Grows now so `n` more inserts cannot grow the table (keeps `touch` results valid);
    /// an empty set is sized so `n` ids do not even start preparing a growth.
    /// A growth it starts is incremental; one already in progress is finished first when
    /// the table must grow again (only when `n` exceeds the growth's headroom).
    mutating func reserve(additional n: Int) {
        if count == 0 && old == nil && next == nil && EventIDSet.overloaded(n, slots.count) {
            // Empty: sized directly, so the `n` ids stay below the 0.75 load at which the
            // next table's preparation starts (a replay of known size prepares nothing, and
            // the growth after it has its whole headroom to prepare in).
            slots = ZeroedSlots(count: (n * 4 + 2) / 3 + 1)
            return
        }
        guard EventIDSet.overloaded(count + n, slots.count) else { return }
        finishMigration()
        var capacity = slots.count + slots.count / 4
        while EventIDSet.overloaded(count + n, capacity) { capacity += capacity / 4 }
        startGrowth(to: capacity)
    }

    /// Loads the home slot of each fingerprint (0 = none) and the slot 8 further on (the
    /// next cache line: at load 0.64–0.8 a new id's probe run averages 5–13 slots, so it
    /// usually leaves the home line), and returns a value derived from them: the loads are
    /// independent, so the processor overlaps their cache misses, and the inserts that
    /// follow find the lines in cache. The caller keeps the result so the loads are not
    /// optimised away. During a growth the old table's home slots are loaded too.
    func touch(_ fingerprints: [UInt64]) -> UInt64 {
        var sink = EventIDSet.touch(fingerprints, slots)
        if let old { sink &+= EventIDSet.touch(fingerprints, old) }
        return sink
    }

    private static func touch(_ fingerprints: [UInt64], _ table: ZeroedSlots) -> UInt64 {
        var sink: UInt64 = 0
        let last = table.count - 1
        for fp in fingerprints where fp != 0 {
            let h = home(fp, table.count)
            sink &+= table[h] &+ table[min(h + 8, last)]
        }
        return sink
    }

    func contains(fingerprint fp: UInt64) -> Bool {
        if EventIDSet.find(fp, slots).found { return true }
        guard let old else { return false }
        return EventIDSet.find(fp, old).found
    }

    /// Adds an id by its fingerprint; returns false when it was already present.
    mutating func insert(fingerprint fp: UInt64) -> Bool {
        if EventIDSet.overloaded(count + 1, slots.count) { reserve(additional: 1) }
        if old != nil { migrate(EventIDSet.migrationStep) }
        if next != nil {
            prepare(EventIDSet.preparationStep)
        } else if old == nil && count * 4 >= slots.count * 3 {
            next = ZeroedSlots(count: slots.count + slots.count / 4)
            prepared = 0
        }
        if let old, EventIDSet.find(fp, old).found { return false }
        let (found, i) = EventIDSet.find(fp, slots)
        if found { return false }
        writable()[i] = fp
        count += 1
        return true
    }

    /// Whether `fp` is in `table`, else the empty slot that ends its probe run.
    @inline(__always)
    private static func find(_ fp: UInt64, _ table: ZeroedSlots) -> (found: Bool, slot: Int) {
        var i = home(fp, table.count)
        while true {
            let s = table[i]
            if s == 0 { return (false, i) }
            if s == fp { return (true, i) }
            i = i + 1 == table.count ? 0 : i + 1
        }
    }

    /// `slots`, copied first if another set shares it (sets are values).
    private mutating func writable() -> ZeroedSlots {
        if !isKnownUniquelyReferenced(&slots) { slots = slots.copy() }
        return slots
    }

    /// Starts moving every fingerprint into a table of `capacity` slots: the prepared one
    /// when it is that large (its unwritten rest written now: normally nothing is left).
    private mutating func startGrowth(to capacity: Int) {
        old = slots
        if let ready = next, ready.count >= capacity {
            prepare(ready.count - prepared)
            slots = ready
        } else {
            slots = ZeroedSlots(count: capacity)
        }
        next = nil
        migrated = 0
    }

    /// Writes (zeroes) the next `n` slots of the table being prepared, faulting its pages in
    /// order. Only `next`'s owner writes it: it is not shared until it becomes `slots`.
    private mutating func prepare(_ n: Int) {
        guard let table = next else { return }
        let end = min(prepared + n, table.count)
        if end > prepared { (table.base + prepared).update(repeating: 0, count: end - prepared) }
        prepared = end
    }

    /// Moves the next `n` old slots (fewer at the end) into `slots`; drops `old` when done.
    private mutating func migrate(_ n: Int) {
        guard let from = old else { return }
        let table = writable()
        let end = min(migrated + n, from.count)
        for j in migrated..<end {
            let fp = from[j]
            if fp != 0 { table[EventIDSet.find(fp, table).slot] = fp }
        }
        migrated = end
        if end == from.count { old = nil }
    }

    /// Ends a growth in progress now.
    private mutating func finishMigration() {
        if let from = old { migrate(from.count - migrated) }
    }

    var allocatedBytes: Int { (slots.count + (old?.count ?? 0) + (next?.count ?? 0)) * 8 }
}
