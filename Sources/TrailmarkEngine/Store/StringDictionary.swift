import TrailmarkWire

/// Dictionary encoding of one string column: each distinct string gets a dense id
/// (0, 1, 2, … in order of first appearance), so columns store 4-byte ids.
///
/// Compact: the bytes live in append-only arena chunks (up to 1 MiB), each id has an 8-byte
/// location, and the string → id table is open addressing over 8-byte slots (32-bit hash
/// tag, id + 1), load at most 0.7 — about 53 bytes for a 32-byte anonymous id, where a
/// Swift `[String: UInt32]` plus `[String]` takes about 120.
///
/// Table layout: a slot is 0 (empty) or `tag << 32 | (id + 1)`, where the tag is the high
/// 32 bits of the string's hash, and a string's home slot is the top `log2(capacity)` bits
/// of its tag (`tag >> shift`). So growing re-places each slot from the slot alone (no
/// string is read back), and because homes ascend with tags the new table is written
/// almost in order. A probe compares bytes only when a slot's tag matches. At most
/// 0.7 × 2^32 strings (the table then cannot double again).
///
/// Writer side, mutated under the project lock. Readers use `snapshot()` (id → string
/// without a lock: arena bytes and locations below the snapshot's count never change) and
/// resolve string → id under the lock.
struct StringDictionary: @unchecked Sendable {  // @unchecked: mutated only under the project lock; `arenaBases` point into the chunks it holds.
    /// Sentinel id of "no value" in an optional column.
    static let none: UInt32 = .max

    private var arena: [ArenaChunk] = []
    /// `arena[i].base` for every chunk, so reads load no class reference.
    private var arenaBases: [UnsafeMutablePointer<UInt8>] = []
    private var arenaUsed = 0
    /// Per id: chunk << 40 | offset << 20 | length (strings under 1 MiB).
    private var locations = AppendOnlyColumn<UInt64>()
    /// Strings of 1 MiB or more (never produced by validated input), by id.
    private var oversized: [UInt32: String] = [:]
    private var slots: [UInt64] = Array(repeating: 0, count: 64)
    /// `32 - log2(slots.count)`: a tag's home slot is `tag >> shift`.
    private var shift: UInt64 = 26

    var count: Int { locations.count }

    /// The id of `s`, adding it when new.
    mutating func intern(_ s: String) -> UInt32 {
        intern(s, hash: StringDictionary.hash(of: s))
    }

    /// `hash(of:)` of a string, computed where no lock is held.
    static func hash(of s: String) -> UInt64 {
        withUTF8(of: s) { hash($0) }
    }

    /// `hash(of:)` of an optional value, 0 when it is nil or empty ("no value").
    static func hash(ofPresent s: String?) -> UInt64 {
        guard let s, !s.isEmpty else { return 0 }
        return hash(of: s)
    }

    /// Calls `body` with the UTF-8 bytes of `s` read in place: a native string is borrowed,
    /// not copied (`var s = s; s.withUTF8` retains and releases its storage, which costs a
    /// shared cache line per string); a bridged one is made contiguous first.
    @inline(__always)
    static func withUTF8<R>(of s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = s
        return copy.withUTF8(body)
    }

    /// Loads what interning strings of these hashes will read (the probe run from the home
    /// slot, the location and first bytes of the string whose tag matches), in three passes
    /// so each pass's loads are independent and the processor overlaps their cache misses;
    /// see `EventIDSet.touch`. Hash 0 is skipped (callers' "no string"), and so is a hash
    /// equal to the one before (a batch's run of one device's events). Returns a value the
    /// caller keeps.
    func touch(_ hashes: [UInt64]) -> UInt64 {
        var ids: [UInt32] = []
        ids.reserveCapacity(hashes.count)
        slots.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var previous: UInt64 = 0
            for h in hashes where h != 0 && h != previous {
                previous = h
                var i = home(h >> 32)
                while table[i] != 0 {
                    if table[i] >> 32 == h >> 32 {
                        ids.append(UInt32(truncatingIfNeeded: table[i]) &- 1)
                        break
                    }
                    i = (i + 1) & mask
                }
            }
        }
        var locs: [UInt64] = []
        locs.reserveCapacity(ids.count)
        for id in ids { locs.append(locations[Int(id)]) }
        var sink: UInt64 = 0
        for loc in locs where loc != UInt64.max { sink &+= UInt64(arenaBases[Int(loc >> 40)][Int(loc >> 20 & 0xFFFFF)]) }
        return sink
    }

    /// The home slot of a tag (see the type's comment).
    @inline(__always)
    private func home(_ tag: UInt64) -> Int { Int(truncatingIfNeeded: tag >> shift) }

    /// The id of `s` (whose `hash(of:)` is `h`), adding it when new.
    mutating func intern(_ s: String, hash h: UInt64) -> UInt32 {
        StringDictionary.withUTF8(of: s) { intern(bytes: $0, hash: h) }
    }

    /// The id of the UTF-8 string `bytes` (whose hash is `h`), adding it when new.
    mutating func intern(bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> UInt32 {
        let tag = h >> 32
        let mask = slots.count - 1
        var i = home(tag)
        while true {
            let slot = slots[i]
            if slot == 0 { break }
            if slot >> 32 == tag, equals(UInt32(truncatingIfNeeded: slot) - 1, bytes) { return UInt32(truncatingIfNeeded: slot) - 1 }
            i = (i + 1) & mask
        }
        let id = UInt32(locations.count)
        precondition(id < StringDictionary.none - 1, "dictionary full")
        store(bytes, id: id)
        slots[i] = tag << 32 | UInt64(id + 1)
        if (locations.count * 10) > slots.count * 7 { grow() }
        return id
    }

    /// The id of an optional value (`none` for nil).
    mutating func intern(optional s: String?) -> UInt32 {
        guard let s else { return StringDictionary.none }
        return intern(s)
    }

    /// The id of `s` when it has one.
    func id(of s: String) -> UInt32? {
        StringDictionary.withUTF8(of: s) { bytes in
            let h = StringDictionary.hash(bytes)
            let mask = slots.count - 1
            var i = home(h >> 32)
            while slots[i] != 0 {
                let slot = slots[i]
                if slot >> 32 == h >> 32, equals(UInt32(truncatingIfNeeded: slot) - 1, bytes) { return UInt32(truncatingIfNeeded: slot) - 1 }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    func string(_ id: UInt32) -> String { snapshot()[Int(id)] }

    func snapshot() -> StringDictionarySnapshot {
        StringDictionarySnapshot(arena: arena, locations: locations.snapshot(), oversized: oversized)
    }

    /// See `AppendOnlyColumn.publish()`.
    func publish() { locations.publish() }

    /// Resident bytes: arena chunks, locations and the table.
    var approximateBytes: Int { arena.reduce(0) { $0 + $1.capacity } + locations.allocatedBytes + slots.count * 8 }

    // MARK: internals

    private mutating func store(_ bytes: UnsafeBufferPointer<UInt8>, id: UInt32) {
        guard bytes.count < ArenaChunk.maxCapacity else {
            oversized[id] = String(decoding: bytes, as: UTF8.self)
            locations.append(UInt64.max)
            return
        }
        if arena.isEmpty || arenaUsed + bytes.count > arena[arena.count - 1].capacity {
            // Chunks grow from 4 KiB to 1 MiB, so a small project's dictionaries stay small.
            let next = min(max(4096, (arena.last?.capacity ?? 2048) * 2), ArenaChunk.maxCapacity)
            arena.append(ArenaChunk(capacity: max(next, bytes.count)))
            arenaBases.append(arena[arena.count - 1].base)
            arenaUsed = 0
        }
        if let base = bytes.baseAddress { (arenaBases[arenaBases.count - 1] + arenaUsed).initialize(from: base, count: bytes.count) }
        locations.append(UInt64(arena.count - 1) << 40 | UInt64(arenaUsed) << 20 | UInt64(bytes.count))
        arenaUsed += bytes.count
    }

    @inline(__always)
    private func equals(_ id: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let loc = locations[Int(id)]
        if loc == UInt64.max {
            var s = oversized[id] ?? ""
            return s.withUTF8 { $0.elementsEqual(bytes) }
        }
        let length = Int(loc & 0xFFFFF)
        guard length == bytes.count else { return false }
        guard let base = bytes.baseAddress else { return true }
        let start = arenaBases[Int(loc >> 40)] + Int(loc >> 20 & 0xFFFFF)
        return memcmpEqual(start, base, length)
    }

    /// Doubles the table, placing each slot by its tag alone (no string is read).
    private mutating func grow() {
        precondition(shift > 0, "dictionary full")  // 0.7 × 2^32 strings: a documented limit
        shift -= 1
        var bigger = SlotTable.zeroed(count: slots.count * 2)
        let mask = bigger.count - 1
        bigger.withUnsafeMutableBufferPointer { table in
            for slot in slots where slot != 0 {
                var i = home(slot >> 32)
                while table[i] != 0 { i = (i + 1) & mask }
                table[i] = slot
            }
        }
        slots = bigger
    }

    /// 64-bit hash of UTF-8 bytes (`WordHash`), never 0 (callers use 0 for "no string").
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let h = WordHash.hash(bytes, seed: 0x1319_8A2E_0370_7344)
        return h == 0 ? 1 : h
    }
}

/// Byte equality of two non-overlapping ranges.
@inline(__always)
private func memcmpEqual(_ a: UnsafeMutablePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// One block (4 KiB … 1 MiB) of string bytes. Bytes are written once, before the id that
/// points at them is published, and never changed (so readers need no lock).
final class ArenaChunk: @unchecked Sendable {  // @unchecked: write-once bytes, see above.
    /// Offsets and lengths are 20-bit fields of a location.
    static let maxCapacity = 1 << 20
    let capacity: Int
    let base: UnsafeMutablePointer<UInt8>

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }
}

/// An immutable view of a dictionary's first `count` strings (see `StringDictionary`).
struct StringDictionarySnapshot: @unchecked Sendable {  // @unchecked: reads write-once arena bytes only.
    private let arena: [ArenaChunk]
    private let bases: [UnsafeMutablePointer<UInt8>]
    private let locations: ColumnSnapshot<UInt64>
    private let oversized: [UInt32: String]

    init(arena: [ArenaChunk], locations: ColumnSnapshot<UInt64>, oversized: [UInt32: String]) {
        self.arena = arena
        self.bases = arena.map(\.base)
        self.locations = locations
        self.oversized = oversized
    }

    var count: Int { locations.count }

    subscript(id: Int) -> String {
        let loc = locations[id]
        if loc == UInt64.max { return oversized[UInt32(id)] ?? "" }
        let start = bases[Int(loc >> 40)] + Int(loc >> 20 & 0xFFFFF)
        return String(decoding: UnsafeBufferPointer(start: start, count: Int(loc & 0xFFFFF)), as: UTF8.self)
    }
}
