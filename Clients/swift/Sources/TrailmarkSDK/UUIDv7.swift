#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Time-ordered UUIDs (RFC 9562 § 5.7): 48 bits of Unix milliseconds, version 7, then 74
/// random bits. Event ids are made at `track` time so a retried batch carries the same ids
/// and the server drops the copies (SEMANTICS §1, idempotency by `event_id`).
public enum UUIDv7 {
    /// A new id as lower-case text (`xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`).
    /// `nowMillis` is milliseconds since the Unix epoch (defaults to the system clock).
    public static func make(nowMillis: Int64 = Clock.nowMicros() / 1000) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(nowMillis: nowMillis, using: &generator)
    }

    /// A new id with randomness from `generator` (deterministic in tests).
    public static func make<G: RandomNumberGenerator>(nowMillis: Int64, using generator: inout G) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let millis = UInt64(max(0, nowMillis)) & 0xFFFF_FFFF_FFFF
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * UInt64(i))) }
        let high = generator.next()
        let low = generator.next()
        for i in 0..<2 { bytes[6 + i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i))) }
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        return format(bytes)
    }

    /// A random (version 4) UUID, used for anonymous ids.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        let a = generator.next(), b = generator.next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return format(bytes)
    }

    static func format(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Wall-clock helpers in the units of the wire (integer microseconds since the Unix epoch).
public enum Clock {
    /// Now, in microseconds since the Unix epoch (UTC).
    public static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}
