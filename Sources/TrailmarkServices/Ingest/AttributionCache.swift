import TrailmarkEngine
import TrailmarkWire

/// Attributions of one batch by `(url, referrer)` (SEMANTICS §6: a pure function of the
/// two), so events that repeat a pair are classified once.
///
/// A direct-mapped cache of 64 entries indexed by a `WordHash` of the pair's bytes, each hit
/// confirmed byte for byte: `Dictionary<(String?, String?), _>` cost more (SipHash of both
/// strings, growth) than it saved on batches whose URLs are all different, and compared
/// strings by Unicode canonical equivalence rather than by bytes.
struct AttributionCache {
    private struct Entry {
        var key: UInt64
        var url: String?
        var referrer: String?
        var attribution: Attribution
    }

    private var entries = [Entry?](repeating: nil, count: 64)

    /// The attribution of `(url, referrer)`, classified on a miss.
    mutating func attribution(url: String?, referrer: String?) -> Attribution {
        let key = Self.hash(url) ^ (Self.hash(referrer) &* 0x9E37_79B9_7F4A_7C15)
        let slot = Int(truncatingIfNeeded: key >> 58)
        if let entry = entries[slot], entry.key == key, Self.sameBytes(entry.url, url), Self.sameBytes(entry.referrer, referrer) {
            return entry.attribution
        }
        let computed = AttributionClassifier.classify(url: url, referrer: referrer)
        entries[slot] = Entry(key: key, url: url, referrer: referrer, attribution: computed)
        return computed
    }

    private static func hash(_ s: String?) -> UInt64 {
        guard var s else { return 0x5BD1_E995 }
        return s.withUTF8 { WordHash.hash($0, seed: 0xA076_1D64_78BD_642F) }
    }

    /// Equal as UTF-8 bytes (both absent counts as equal).
    private static func sameBytes(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?): return a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
        default: return false
        }
    }
}
