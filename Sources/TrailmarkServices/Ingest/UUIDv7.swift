/// UUID version 7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits, so ids
/// sort by creation time. Used for server-assigned `event_id`s.
public enum UUIDv7 {
    public static func make<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G) -> String {
        let bytes = raw(milliseconds: milliseconds, using: &rng)
        return String(unsafeUninitializedCapacity: 36) { out in format(bytes, into: out) }
    }

    /// Appends a new id's 36 ASCII bytes to `out` (no `String`: the ingest fast path).
    public static func append<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G, to out: inout [UInt8]) {
        let bytes = raw(milliseconds: milliseconds, using: &rng)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 36))
        out.withUnsafeMutableBufferPointer { all in
            _ = format(bytes, into: UnsafeMutableBufferPointer(rebasing: all[start ..< start + 36]))
        }
    }

    /// The 16 bytes of a new id: timestamp, version, variant and random bits.
    private static func raw<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G) -> InlineArray<16, UInt8> {
        var bytes = InlineArray<16, UInt8>(repeating: 0)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(i))) }
        let r1 = rng.next()
        let r2 = rng.next()
        for i in 6..<16 {
            let source = i < 14 ? r1 : r2
            bytes[i] = UInt8(truncatingIfNeeded: source >> (8 * UInt64(i % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
        return bytes
    }

    public static func make(milliseconds: UInt64) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &rng)
    }

    /// Writes `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex, into `out` (at least
    /// 36 bytes: a string's storage or the fast path's buffer); returns 36.
    static func format(_ bytes: InlineArray<16, UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var j = 0
        for i in 0..<16 {
            if i == 4 || i == 6 || i == 8 || i == 10 {
                out[j] = UInt8(ascii: "-")
                j += 1
            }
            out[j] = hexDigit(bytes[i] >> 4)
            out[j + 1] = hexDigit(bytes[i] & 0xF)
            j += 2
        }
        return j
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10 }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a fast generator for the random bits of
/// server-assigned UUIDv7s, seeded from the system generator once per batch.
struct FastRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
