/// SplitMix64: a small, fast, seedable generator so every randomized test is reproducible
/// from the seed printed in its failure message.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0 ..< 1, using: &self) < p }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0 ... items.count - 1)] }

    /// A string of 0...maxChars characters mixing ASCII, 2-, 3- and 4-byte UTF-8.
    mutating func string(maxChars: Int = 12, minChars: Int = 0) -> String {
        let alphabet: [Character] = Array("abcXYZ019_-/.?=&$ ") + ["é", "ß", "日", "本", "🙂", "\u{0}", "\n"]
        return String((0 ..< int(minChars ... maxChars)).map { _ in pick(alphabet) })
    }

    /// An Int64 biased towards small magnitudes and the extremes.
    mutating func int64() -> Int64 {
        switch int(0 ... 5) {
        case 0: return pick([0, 1, -1, .max, .min])
        case 1: return Int64.random(in: .min ... .max, using: &self)
        default: return Int64(int(-100_000 ... 100_000))
        }
    }

    mutating func optional<T>(_ p: Double = 0.5, _ make: (inout SeededRandom) -> T) -> T? {
        chance(p) ? make(&self) : nil
    }

    /// A finite double (NaN never compares equal, so round-trip tests avoid it).
    mutating func double() -> Double {
        pick([0, -0.0, 1.5, -2.25, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .infinity,
              Double.random(in: -1e9 ... 1e9, using: &self)])
    }
}
