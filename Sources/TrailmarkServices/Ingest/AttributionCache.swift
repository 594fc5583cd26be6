import TrailmarkEngine
import TrailmarkWire

/// Attributions of one batch by `(url, referrer)` (SEMANTICS §6: a pure function of the
/// two), so events that repeat a pair are classified once.
///
/// An open-addressing table of the batch's distinct pairs, keyed by a `WordHash` of the
/// pair's bytes and confirmed byte for byte: `Dictionary<(String?, String?), _>` cost more
/// (SipHash of both strings, growth) than it saved on batches of distinct URLs, and matched
/// strings by Unicode canonical equivalence rather than by bytes.
///
/// Invariants: `slots.count` is a power of two at least twice `entries.count`; a slot is
/// -1 (empty) or an index into `entries`.
struct AttributionCache {
    private struct Entry {
        var key: UInt64
        var url: String?
        var referrer: String?
        var attribution: Attribution
    }

    private var slots: [Int32]
    private var entries: [Entry] = []

    /// A cache sized for about `expected` distinct pairs (it grows beyond).
    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
    }

    /// The attribution of `(url, referrer)`, classified on a miss.
    mutating func attribution(url: String?, referrer: String?) -> Attribution {
        let key = Self.hash(url) ^ (Self.hash(referrer) &* 0x9E37_79B9_7F4A_7C15)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: key) & mask
        while slots[i] >= 0 {
            let k = Int(slots[i])
            if entries[k].key == key, Self.sameBytes(entries[k].url, url), Self.sameBytes(entries[k].referrer, referrer) {
                return entries[k].attribution
            }
            i = (i + 1) & mask
        }
        let computed = AttributionClassifier.classify(url: url, referrer: referrer)
        slots[i] = Int32(entries.count)
        entries.append(Entry(key: key, url: url, referrer: referrer, attribution: computed))
        if entries.count * 2 > slots.count { grow() }
        return computed
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (k, entry) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: entry.key) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
        }
    }

    private static func hash(_ s: String?) -> UInt64 {
        guard var s else { return 0x5BD1_E995 }
        return s.withUTF8 { WordHash.hash($0, seed: 0xA076_1D64_78BD_642F) }
    }

    /// Equal as UTF-8 bytes (both absent counts as equal).
    private static func sameBytes(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?): return ByteEquality.equal(a, b)
        default: return false
        }
    }
}
