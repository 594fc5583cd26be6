/// The set of `event_id`s seen in one project (SEMANTICS §1: the first event with an id
/// wins; retries are dropped), rebuilt on replay.
///
/// Stores a 64-bit fingerprint per id in an open-addressing table (8 bytes per slot,
/// load factor at most 0.7), not the ids themselves: at 10M ids a full string set would
/// cost more than the rest of the store. The fingerprint is deterministic (word-wise
/// multiply-xorshift with a murmur3 finaliser), so every replay makes the same decisions. Two distinct ids share a
/// fingerprint with probability about n²/2^65 per project (3·10⁻⁶ at 10M ids); such a pair
/// would be treated as a retry. `docs/ENGINE.md` states this trade.
struct EventIDSet: Sendable {
    private var slots: [UInt64] = Array(repeating: 0, count: 1024)
    private(set) var count = 0

    /// The deterministic 64-bit fingerprint of an id (never 0: 0 marks an empty slot):
    /// 8 bytes at a time, multiply-xorshift mixing, murmur3's finaliser.
    static func fingerprint(_ id: String) -> UInt64 {
        var copy = id
        return copy.withUTF8 { bytes in
            var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(bytes.count)
            var i = 0
            while i + 8 <= bytes.count {
                let word = UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)  // i + 8 <= count
                h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count {
                tail |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 33
            h = h &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 33
            h = h &* 0xc4ce_b9fe_1a85_ec53
            h ^= h >> 33
            return h == 0 ? 1 : h
        }
    }

    func contains(_ id: String) -> Bool {
        let fp = EventIDSet.fingerprint(id)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: fp) & mask
        while true {
            let s = slots[i]
            if s == 0 { return false }
            if s == fp { return true }
            i = (i + 1) & mask
        }
    }

    /// Adds `id`; returns false when it was already present.
    @discardableResult
    mutating func insert(_ id: String) -> Bool {
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let fp = EventIDSet.fingerprint(id)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: fp) & mask
        while true {
            let s = slots[i]
            if s == 0 {
                slots[i] = fp
                count += 1
                return true
            }
            if s == fp { return false }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        let mask = slots.count - 1
        for fp in old where fp != 0 {
            var i = Int(truncatingIfNeeded: fp) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = fp
        }
    }

    var allocatedBytes: Int { slots.count * 8 }
}
