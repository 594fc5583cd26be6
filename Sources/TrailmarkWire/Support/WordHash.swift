/// A fast, deterministic 64-bit hash of bytes: 8 bytes at a time with multiply-xorshift
/// mixing, then murmur3's finaliser. Deterministic across processes (unlike `Hasher`),
/// so structures built from it (the `event_id` set) make the same decisions on every
/// replay. Not collision-resistant against an adversary.
///
/// Shared by the codec's string interner and the engine's dictionaries and `event_id`
/// set. Its values are stored (erased slots keep an `event_id` fingerprint), so the
/// function must never change.
public enum WordHash {
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        var h = seed ^ UInt64(bytes.count)
        var i = 0
        if let base = bytes.baseAddress {
            while i + 8 <= bytes.count {
                h = (h ^ UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                i += 8
            }
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
        return h
    }
}
