import Testing
@testable import TrailmarkServices

/// Server ids: the word-at-a-time hex formatter and the two-word layout against a byte-wise
/// reference of RFC 9562 §5.7 (the formatter they replaced), for the same random bits.
@Suite struct UUIDv7Tests {
    /// The reference: bytes 0–5 the milliseconds, 6–13 from the first draw (6, 7 its top
    /// two bytes; 8–13 its low six), 14–15 the top two bytes of the second; version and
    /// variant bits set; lower-case hex with dashes after bytes 4, 6, 8 and 10.
    static func reference(milliseconds: UInt64, _ r1: UInt64, _ r2: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0 ..< 6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(i))) }
        for i in 6 ..< 16 { bytes[i] = UInt8(truncatingIfNeeded: (i < 14 ? r1 : r2) >> (8 * UInt64(i % 8))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        var s = ""
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { s += "-" }
            s += String(b >> 4, radix: 16) + String(b & 0xF, radix: 16)
        }
        return s
    }

    /// Replays fixed draws, so the reference can see them too.
    struct Draws: RandomNumberGenerator {
        var values: [UInt64]
        var drawn = 0
        mutating func next() -> UInt64 {
            defer { drawn += 1 }
            return values[drawn]
        }
    }

    @Test func idsAreTheReferenceBytes() {
        var seeds = FastRandom(seed: 42)
        let edges: [UInt64] = [0, .max, 0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0xA5A5_A5A5_A5A5_A5A5]
        for round in 0 ..< 2000 {
            let r1 = round < edges.count ? edges[round] : seeds.next()
            let r2 = round < edges.count ? edges[edges.count - 1 - round] : seeds.next()
            let ms = round % 3 == 0 ? seeds.next() : 1_767_225_000_000 + UInt64(round)
            var draws = Draws(values: [r1, r2])
            let made = UUIDv7.make(milliseconds: ms, using: &draws)
            #expect(made == Self.reference(milliseconds: ms, r1, r2), "round \(round)")
            var buffer = [UInt8](repeating: 0, count: UUIDv7.textBytes)
            var again = Draws(values: [r1, r2])
            buffer.withUnsafeMutableBufferPointer { UUIDv7.write(milliseconds: ms, using: &again, into: $0) }
            #expect(buffer == Array(made.utf8), "round \(round)")
        }
    }

    @Test func hexDigitsAreLowerCaseMostSignificantFirst() {
        for v: UInt32 in [0, 9, 10, 0xF, 0xABCD_EF01, 0x1234_5678, .max, 0x0A0B_0C0D] {
            let word = UUIDv7.hexDigits(v)
            let text = String(decoding: (0 ..< 8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) }, as: UTF8.self)
            let expected = String(repeating: "0", count: 8 - String(v, radix: 16).count) + String(v, radix: 16)
            #expect(text == expected)
        }
    }

    @Test func appendAddsOneIDAfterWhatIsThere() {
        var out: [UInt8] = [1, 2]
        var draws = Draws(values: [7, 8])
        UUIDv7.append(milliseconds: 99, using: &draws, to: &out)
        #expect(out.count == 2 + UUIDv7.textBytes && out.prefix(2) == [1, 2])
        #expect(String(decoding: out.dropFirst(2), as: UTF8.self) == Self.reference(milliseconds: 99, 7, 8))
    }
}
