/// UUID version 7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits, so ids
/// sort by creation time. Used for server-assigned `event_id`s.
public enum UUIDv7 {
    public static func make<G: RandomNumberGenerator>(milliseconds: UInt64, using rng: inout G) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(i))) }
        let r1 = rng.next()
        let r2 = rng.next()
        for i in 6..<16 {
            let source = i < 14 ? r1 : r2
            bytes[i] = UInt8(truncatingIfNeeded: source >> (8 * UInt64(i % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
        return format(bytes)
    }

    public static func make(milliseconds: UInt64) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &rng)
    }

    static func format(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
