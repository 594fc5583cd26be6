import TrailmarkEngine
import TrailmarkWire

/// Attributions of one batch by `AttributionKey` (SEMANTICS §6: a function of the url's
/// host and query and the referrer's host), so events that repeat them are classified
/// once, however their paths differ.
///
/// An open-addressing table of the batch's distinct keys, hashed with a per-process random
/// seed (a batch crafted to collide cannot be prepared offline) and confirmed byte for
/// byte: a hit allocates nothing, and equality is of bytes, not of Unicode canonical
/// equivalence. Entries' key bytes live in one arena.
///
/// Invariants: `slots.count` is a power of two at least twice `entries.count`; a slot is
/// -1 (empty) or an index into `entries`; entry `k`'s key is
/// `arena[entries[k].start ..< entries[k].end]` split at `hostEnd` and `queryEnd`.
struct AttributionCache {
    private struct Entry {
        var hash: UInt64
        var start: Int
        var end: Int
        var hostEnd: Int
        var queryEnd: Int
    }

    private static let seed = UInt64.random(in: 0 ... .max)
    /// Odd, random per process: the multiplicative hash of reference pairs.
    private static let multiplier = UInt64.random(in: 0 ... .max) | 1
    /// No pair: references are below a batch's dictionary size, far from 2³² - 1.
    private static let emptyPair = UInt64.max

    /// A reference pair already seen, and its entry: an open-addressing table in front of
    /// the byte-keyed one (a power of two at least twice `refCount`, allocated on first use).
    private struct RefSlot {
        var pair: UInt64
        var index: UInt32
    }
    private var refSlots: [RefSlot] = []
    private var refCount = 0

    private var slots: [Int32]
    private var entries: [Entry] = []
    private var arena: [UInt8] = []
    private var key = AttributionKey()
    /// The distinct attributions, in the order of their first event.
    private(set) var attributions: [Attribution] = []

    /// A cache sized for about `expected` distinct keys (it grows beyond).
    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
    }

    /// The attribution of `(url, referrer)`, classified on a miss.
    mutating func attribution(url: String?, referrer: String?) -> Attribution {
        attributions[AttributionKey.withUTF8(url: url, referrer: referrer) { index(url: $0, referrer: $1) }]
    }

    /// The index in `attributions` of the attribution of the pair a batch's dictionary
    /// references name (`ScannedEventBatch.urlRefs`, `referrerRefs`); `bytes` gives their
    /// UTF-8 bytes, called only the first time the batch repeats the pair.
    mutating func index(urlRef: UInt32, referrerRef: UInt32, bytes: () -> (url: UnsafeBufferPointer<UInt8>?, referrer: UnsafeBufferPointer<UInt8>?)) -> Int {
        let pair = UInt64(urlRef) << 32 | UInt64(referrerRef)
        if refSlots.isEmpty { refSlots = [RefSlot](repeating: RefSlot(pair: Self.emptyPair, index: 0), count: slots.count) }
        var mask = refSlots.count - 1
        var i = Int(truncatingIfNeeded: (pair &* Self.multiplier) >> 32) & mask
        while refSlots[i].pair != Self.emptyPair {
            if refSlots[i].pair == pair { return Int(refSlots[i].index) }
            i = (i + 1) & mask
        }
        let (url, referrer) = bytes()
        let k = index(url: url, referrer: referrer)
        refSlots[i] = RefSlot(pair: pair, index: UInt32(k))
        refCount += 1
        if refCount * 2 > refSlots.count {
            let old = refSlots
            refSlots = [RefSlot](repeating: RefSlot(pair: Self.emptyPair, index: 0), count: old.count * 2)
            mask = refSlots.count - 1
            for slot in old where slot.pair != Self.emptyPair {
                var j = Int(truncatingIfNeeded: (slot.pair &* Self.multiplier) >> 32) & mask
                while refSlots[j].pair != Self.emptyPair { j = (j + 1) & mask }
                refSlots[j] = slot
            }
        }
        return k
    }

    /// The index in `attributions` of the attribution of the pair with these UTF-8 bytes.
    mutating func index(url: UnsafeBufferPointer<UInt8>?, referrer: UnsafeBufferPointer<UInt8>?) -> Int {
        key.set(url: url, referrer: referrer)
        let hash = key.hash(seed: Self.seed)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 {
            let k = Int(slots[i])
            if entries[k].hash == hash, matches(entries[k]) { return k }
            i = (i + 1) & mask
        }
        let start = arena.count
        arena.append(contentsOf: key.bytes)
        slots[i] = Int32(entries.count)
        entries.append(Entry(hash: hash, start: start, end: arena.count, hostEnd: key.hostEnd, queryEnd: key.queryEnd))
        attributions.append(key.attribution)
        if entries.count * 2 > slots.count { grow() }
        return entries.count - 1
    }

    private func matches(_ entry: Entry) -> Bool {
        guard entry.hostEnd == key.hostEnd, entry.queryEnd == key.queryEnd, entry.end - entry.start == key.bytes.count else { return false }
        return arena.withUnsafeBytes { all in
            key.bytes.withUnsafeBytes { ByteEquality.equal(UnsafeRawBufferPointer(rebasing: all[entry.start ..< entry.end]), $0) }
        }
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
