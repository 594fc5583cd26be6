/// A map from pairs of small indices to an index: an open-addressing table of 64-bit keys
/// with a multiplicative hash whose odd multiplier is random per process (so a batch
/// crafted to make long probe chains cannot be prepared offline).
///
/// Invariants: `slots.count` is a power of two at least twice `count`; a slot's `pair` is
/// `empty` or a key added by `set`.
struct IndexPairTable {
    private struct Slot {
        var pair: UInt64
        var value: Int32
    }

    private static let multiplier = UInt64.random(in: 0 ... .max) | 1
    /// No key: both halves are indices far below 2³² - 1.
    private static let empty = UInt64.max

    private var slots = [Slot](repeating: Slot(pair: empty, value: 0), count: 16)
    private(set) var count = 0

    private static func key(_ a: UInt32, _ b: UInt32) -> UInt64 { UInt64(a) << 32 | UInt64(b) }

    private func home(_ pair: UInt64) -> Int {
        Int(truncatingIfNeeded: (pair &* Self.multiplier) >> 32) & (slots.count - 1)
    }

    /// The value stored for `(a, b)`, nil when none.
    func value(_ a: UInt32, _ b: UInt32) -> Int32? {
        let pair = Self.key(a, b)
        var i = home(pair)
        while slots[i].pair != Self.empty {
            if slots[i].pair == pair { return slots[i].value }
            i = (i + 1) & (slots.count - 1)
        }
        return nil
    }

    /// Stores `value` for `(a, b)`, which must not be stored yet.
    mutating func set(_ a: UInt32, _ b: UInt32, _ value: Int32) {
        insert(Slot(pair: Self.key(a, b), value: value))
        count += 1
        if count * 2 > slots.count {
            let old = slots
            slots = [Slot](repeating: Slot(pair: Self.empty, value: 0), count: old.count * 2)
            for slot in old where slot.pair != Self.empty { insert(slot) }
        }
    }

    private mutating func insert(_ slot: Slot) {
        var i = home(slot.pair)
        while slots[i].pair != Self.empty { i = (i + 1) & (slots.count - 1) }
        slots[i] = slot
    }
}
