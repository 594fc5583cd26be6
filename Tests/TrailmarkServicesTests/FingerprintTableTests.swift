import Testing
@testable import TrailmarkServices

/// The fingerprint-indexed map against a `Dictionary` reference under random operations.
@Suite struct FingerprintTableTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func matchesADictionaryReference(seed: UInt64) {
        var rng = SplitMix(seed: seed)  // TimeFormatTests.swift
        var table = FingerprintTable<Int>()
        var reference: [UInt64: Int] = [:]
        // Keys share low bits in clusters (long probe runs, wrap-around at the end).
        let keys: [UInt64] = (0 ..< 600).map { (i: Int) -> UInt64 in
            let low: UInt64 = i % 7 == 0 ? 15 : UInt64(i % 13)
            return UInt64(i % 40) << 32 | low | UInt64(1) << 60
        }
        for step in 0 ..< 20_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 4 {
            case 0, 1:
                #expect(table.updateValue(step, forKey: key) == reference.updateValue(step, forKey: key))
            case 2 where step % 3 == 0:
                // A run of keys at once (`updateValues`), some present, some repeated.
                let run = (0 ..< Int(rng.next() % 9)).map { _ in keys[Int(rng.next() % UInt64(keys.count))] }
                table.updateValues(step, forKeys: run)
                for k in run { reference[k] = step }
            case 2:
                #expect(table.removeValue(forKey: key) == reference.removeValue(forKey: key))
            default:
                #expect(table[key] == reference[key])
            }
            #expect(table.count == reference.count)
        }
        for key in keys { #expect(table[key] == reference[key]) }
        for key in keys { table[key] = nil }
        #expect(table.isEmpty)
    }

    /// An emptied table (as `UnindexedIDs` reuses them) holds nothing and works as a new one.
    @Test func anEmptiedTableIsLikeANewOne() {
        var table = FingerprintTable<UInt64>()
        for k in UInt64(1) ... 3000 { table[k &* 0x9E37_79B9_7F4A_7C15 | 1] = k }
        table.removeAll()
        #expect(table.isEmpty)
        for k in UInt64(1) ... 3000 { #expect(table[k &* 0x9E37_79B9_7F4A_7C15 | 1] == nil) }
        for k in UInt64(2000) ... 4000 { table[k &* 0x9E37_79B9_7F4A_7C15 | 1] = k + 1 }
        #expect(table.count == 2001)
        for k in UInt64(1) ... 4000 { #expect(table[k &* 0x9E37_79B9_7F4A_7C15 | 1] == (k >= 2000 ? k + 1 : nil)) }
    }

    @Test func growsAndKeepsEverything() {
        var table = FingerprintTable<UInt64>()
        table.reserveCapacity(10)
        for k in UInt64(1) ... 5000 { table[k &* 0x9E37_79B9_7F4A_7C15 | 1] = k }
        #expect(table.count == 5000)
        for k in UInt64(1) ... 5000 { #expect(table[k &* 0x9E37_79B9_7F4A_7C15 | 1] == k) }
    }
}
