/// UUID version 7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits, so ids
/// sort by creation time. Used for server-assigned `event_id`s.
public enum UUIDv7 {
    /// Bytes of the text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public static let textBytes = 36

    public static func make<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G) -> String {
        let id = raw(milliseconds: milliseconds, using: &rng)
        return String(unsafeUninitializedCapacity: textBytes) { out in format(high: id.high, low: id.low, into: out) }
    }

    public static func make(milliseconds: UInt64) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &rng)
    }

    /// Writes a new id's 36 ASCII bytes into `out` (exactly `textBytes` long: a slot of the
    /// fast path's id buffer, no `String`).
    public static func write<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G, into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(out.count == textBytes, "a UUID's text is 36 bytes")
        let id = raw(milliseconds: milliseconds, using: &rng)
        _ = format(high: id.high, low: id.low, into: out)
    }

    /// Appends a new id's 36 ASCII bytes to `out`.
    public static func append<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: textBytes))
        out.withUnsafeMutableBufferPointer { all in
            write(milliseconds: milliseconds, using: &rng, into: UnsafeMutableBufferPointer(rebasing: all[start ..< start + textBytes]))
        }
    }

    /// The 16 bytes of a new id as two big-endian halves (byte 0 is the top byte of
    /// `high`): the low 48 bits of `milliseconds`, version 7 and 12 random bits; variant
    /// `10` and 62 random bits. Random bytes 6…13 come from one draw (bytes 6 and 7 from its
    /// top two bytes, 8…13 from its low six), 14 and 15 from the top two of a second.
    static func raw<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G) -> (high: UInt64, low: UInt64) {
        let r1 = rng.next()
        let r2 = rng.next()
        let version = 0x70 | (r1 >> 48 & 0x0F)
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | version << 8 | r1 >> 56
        let variant = 0x80 | (r1 & 0x3F)
        let low = variant << 56 | (r1.byteSwapped & 0x00FF_FFFF_FFFF_0000) | UInt64(UInt16(truncatingIfNeeded: r2 >> 48).byteSwapped)
        return (high, low)
    }

    /// Writes `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case hex of `high` then `low`
    /// (most significant digit first), into `out` (at least 36 bytes: a string's storage
    /// or a slot of the fast path's buffer); returns 36.
    static func format(high: UInt64, low: UInt64, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(out.count >= textBytes, "a UUID's text is 36 bytes")
        let raw = UnsafeMutableRawBufferPointer(out)
        let dash = UInt8(ascii: "-")
        let h0 = hexDigits(UInt32(truncatingIfNeeded: high >> 32)), h1 = hexDigits(UInt32(truncatingIfNeeded: high))
        let l0 = hexDigits(UInt32(truncatingIfNeeded: low >> 32)), l1 = hexDigits(UInt32(truncatingIfNeeded: low))
        raw.storeBytes(of: h0.littleEndian, toByteOffset: 0, as: UInt64.self)  // digits 0–7
        raw[8] = dash
        raw.storeBytes(of: UInt32(truncatingIfNeeded: h1).littleEndian, toByteOffset: 9, as: UInt32.self)  // 8–11
        raw[13] = dash
        raw.storeBytes(of: UInt32(truncatingIfNeeded: h1 >> 32).littleEndian, toByteOffset: 14, as: UInt32.self)  // 12–15
        raw[18] = dash
        raw.storeBytes(of: UInt32(truncatingIfNeeded: l0).littleEndian, toByteOffset: 19, as: UInt32.self)  // 16–19
        raw[23] = dash
        raw.storeBytes(of: UInt32(truncatingIfNeeded: l0 >> 32).littleEndian, toByteOffset: 24, as: UInt32.self)  // 20–23
        raw.storeBytes(of: l1.littleEndian, toByteOffset: 28, as: UInt64.self)  // 24–31
        return textBytes
    }

    /// The eight lower-case hex digits of `v`, most significant first, as ASCII bytes in a
    /// word whose lowest byte is the first digit (SWAR: no table, no per-digit branch).
    static func hexDigits(_ v: UInt32) -> UInt64 {
        // Byte k of `v` (most significant first) into the low byte of 16-bit lane k.
        var x = UInt64(v.byteSwapped)
        x = (x | x << 16) & 0x0000_FFFF_0000_FFFF
        x = (x | x << 8) & 0x00FF_00FF_00FF_00FF
        // Lane k: high nibble in its low byte (first digit), low nibble in its high byte.
        let nibbles = (x >> 4 & 0x000F_000F_000F_000F) | (x & 0x000F_000F_000F_000F) << 8
        // '0' + d, plus 'a' - '0' - 10 = 0x27 for the digits above 9 (d + 6 carries into bit 4).
        let letters = (nibbles &+ 0x0606_0606_0606_0606) >> 4 & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }
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
