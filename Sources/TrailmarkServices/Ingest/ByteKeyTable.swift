import TrailmarkWire

/// The distinct byte strings of one batch, each given the next index (0, 1, …) on first
/// sight: an open-addressing table with the bytes in one arena, so a repeat allocates
/// nothing.
///
/// Hashed with `WordHash` under a per-process random seed (a batch crafted to collide
/// cannot be prepared offline) and confirmed by length and `memcmp`, so it never
/// mistakes one string for another.
///
/// Invariants: `slots.count` is a power of two at least twice `entries.count`; a slot is
/// -1 (empty) or an index into `entries`; entry `k`'s bytes are
/// `arena[entries[k].start ..< entries[k].end]`.
struct ByteKeyTable {
    private struct Entry {
        var hash: UInt64
        var start: Int
        var end: Int
    }

    private static let seed = UInt64.random(in: 0 ... .max)

    private var slots = [Int32](repeating: -1, count: 16)
    private var entries: [Entry] = []
    private var arena: [UInt8] = []

    var count: Int { entries.count }

    /// The index of `bytes`, and whether this call added it.
    mutating func index(of bytes: UnsafeBufferPointer<UInt8>) -> (index: Int, isNew: Bool) {
        let hash = WordHash.hash(bytes, seed: Self.seed)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 {
            let k = Int(slots[i])
            let e = entries[k]
            if e.hash == hash, e.end - e.start == bytes.count,
               arena.withUnsafeBytes({ ByteEquality.equal(UnsafeRawBufferPointer(rebasing: $0[e.start ..< e.end]), UnsafeRawBufferPointer(bytes)) }) {
                return (k, false)
            }
            i = (i + 1) & mask
        }
        let start = arena.count
        arena.append(contentsOf: bytes)
        slots[i] = Int32(entries.count)
        entries.append(Entry(hash: hash, start: start, end: arena.count))
        if entries.count * 2 > slots.count { grow() }
        return (entries.count - 1, true)
    }

    /// Entry `k`'s bytes, for the duration of `body`.
    func withBytes<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[entries[k].start ..< entries[k].end])) }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (k, entry) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
        }
    }
}
