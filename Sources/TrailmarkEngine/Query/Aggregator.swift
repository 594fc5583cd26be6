/// Counts rows and distinct units per dense key (the engine of stats and sources).
///
/// Keys are dense integers `0..<keyCount`. Distinct units are counted with one bitset of
/// `keyCount × unitSpace` bits when that fits in 256 MiB, else by sorting
/// `key × unitSpace + unit` pairs.
struct Aggregator {
    let keyCount: Int
    let unitSpace: Int
    let wantUniques: Bool
    private(set) var counts: [UInt64]
    private var bits: [UInt64] = []
    private var pairs: [UInt64] = []
    private(set) var uniques: [UInt64]

    init(keyCount: Int, unitSpace: Int, wantUniques: Bool) {
        self.keyCount = keyCount
        self.unitSpace = max(unitSpace, 1)
        self.wantUniques = wantUniques
        counts = Array(repeating: 0, count: keyCount)
        uniques = Array(repeating: 0, count: keyCount)
        if wantUniques && keyCount.multipliedReportingOverflow(by: self.unitSpace).partialValue <= 1 << 31
            && !keyCount.multipliedReportingOverflow(by: self.unitSpace).overflow
        {
            bits = Array(repeating: 0, count: (keyCount * self.unitSpace + 63) / 64)
        }
    }

    @inline(__always)
    mutating func add(key: Int, unit: Int) {
        counts[key] += 1
        guard wantUniques else { return }
        let bit = key * unitSpace + unit
        if !bits.isEmpty {
            let w = bit >> 6, m = UInt64(1) << UInt64(bit & 63)
            if bits[w] & m == 0 {
                bits[w] |= m
                uniques[key] += 1
            }
        } else {
            pairs.append(UInt64(bit))
        }
    }

    /// Finishes the distinct counts of the sorting path.
    mutating func finish() {
        guard wantUniques, bits.isEmpty, !pairs.isEmpty else { return }
        pairs.sort()
        var previous: UInt64?
        for p in pairs where p != previous {
            uniques[Int(p / UInt64(unitSpace))] += 1
            previous = p
        }
        pairs = []
    }
}
