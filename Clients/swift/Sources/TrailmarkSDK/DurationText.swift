/// Durations as people type them: `250ms`, `30s`, `5m`, `2h`, `7d`, `1w`, or a bare
/// number of seconds. Used by the CLI (`--window 7d`), the load harness (`--duration 10s`)
/// and the funnel JSON of API.md (`"30m"`).
public enum DurationText {
    /// The duration in microseconds, or a `TrailmarkError` naming `field`.
    public static func micros(_ text: String, field: String) throws(TrailmarkError) -> Int64 {
        let units: [(suffix: String, micros: Double)] = [
            ("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000),
            ("d", 86_400_000_000), ("w", 604_800_000_000),
        ]
        let trimmed = text.trimmingPrefixAndSuffixSpaces()
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            let number = trimmed.dropLast(unit.suffix.count)
            if let value = Double(number), value >= 0, value.isFinite, value * unit.micros < 9.2e18 {
                return Int64(value * unit.micros)
            }
        }
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite, seconds < 9.2e12 { return Int64(seconds * 1_000_000) }
        throw TrailmarkError(.invalidArgument, "\(field): expected a duration such as 30s, 5m, 7d, got \(text)")
    }

    /// The same as a `Duration`.
    public static func duration(_ text: String, field: String) throws(TrailmarkError) -> Duration {
        .microseconds(try micros(text, field: field))
    }

    /// `1d 2h`, `3m 5s`, `250ms` — a short human rendering of microseconds.
    public static func format(micros: Double) -> String {
        let value = abs(micros)
        if value < 1_000 { return "\(Int(micros))µs" }
        if value < 1_000_000 { return "\(Int(micros / 1_000))ms" }
        if value < 60_000_000 { return String(Int(micros / 100_000)).tenths + "s" }
        if value < 3_600_000_000 { return "\(Int(micros / 60_000_000))m \(Int(micros.truncatingRemainder(dividingBy: 60_000_000) / 1_000_000))s" }
        if value < 86_400_000_000 { return "\(Int(micros / 3_600_000_000))h \(Int(micros.truncatingRemainder(dividingBy: 3_600_000_000) / 60_000_000))m" }
        return "\(Int(micros / 86_400_000_000))d \(Int(micros.truncatingRemainder(dividingBy: 86_400_000_000) / 3_600_000_000))h"
    }
}

extension String {
    func trimmingPrefixAndSuffixSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    /// "123" (tenths) → "12.3".
    var tenths: String {
        let digits = count <= 1 ? "0" + self : self
        return "\(digits.dropLast()).\(digits.suffix(1))"
    }
}
