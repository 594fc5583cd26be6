import Testing
@testable import TrailmarkServices

@Suite struct TimeFormatTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-05-01T00:00:00Z", Int64(1_777_593_600_000_000)),
        ("2026-05-01T02:00:00+02:00", Int64(1_777_593_600_000_000)),
        ("2026-04-30T19:30:00-04:30", Int64(1_777_593_600_000_000)),
        ("2026-05-01T00:00:00.5Z", Int64(1_777_593_600_500_000)),
        ("2026-05-01T00:00:00.123456789Z", Int64(1_777_593_600_123_456)),
        ("2000-02-29T12:00:00Z", Int64(951_825_600_000_000)),
        ("1969-12-31T23:59:59Z", Int64(-1_000_000)),
    ])
    func parsesRFC3339(_ text: String, _ micros: Int64) {
        #expect(TimeFormat.parseRFC3339(text) == micros)
    }

    @Test(arguments: [
        "2026-05-01", "2026-05-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-05-01T24:00:00Z", "2026-05-01T00:00:00.Z", "2026-05-01T00:00:00+0200", "2026-05-01T00:00:00Zjunk", "yesterday",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(TimeFormat.parseRFC3339(text) == nil)
    }

    @Test func formatsWithMicrosecondsUTC() {
        #expect(TimeFormat.rfc3339(1_777_593_600_123_456) == "2026-05-01T00:00:00.123456Z")
        #expect(TimeFormat.rfc3339(-1) == "1969-12-31T23:59:59.999999Z")
        #expect(TimeFormat.rfc3339(0) == "1970-01-01T00:00:00.000000Z")
    }

    @Test func roundTripsAcrossCenturies() {
        var rng = SplitMix(seed: 42)
        for _ in 0..<2000 {
            let t = Int64(rng.next() % 253_402_300_799_999_999)
            #expect(TimeFormat.parseRFC3339(TimeFormat.rfc3339(t)) == t)
        }
    }

    @Test func parsesDurations() {
        #expect(TimeFormat.parseDuration("30m") == 1_800_000_000)
        #expect(TimeFormat.parseDuration("7d") == 604_800_000_000)
        #expect(TimeFormat.parseDuration("1500ms") == 1_500_000)
        #expect(TimeFormat.parseDuration("250us") == 250)
        #expect(TimeFormat.parseDuration("2w") == 1_209_600_000_000)
        #expect(TimeFormat.parseDuration("42") == 42)
        #expect(TimeFormat.parseDuration("-5") == nil)
        #expect(TimeFormat.parseDuration("5x") == nil)
        #expect(TimeFormat.parseDuration("m") == nil)
        #expect(TimeFormat.parseDuration("99999999999999999d") == nil)
    }
}

/// A small seeded generator so randomized tests are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
