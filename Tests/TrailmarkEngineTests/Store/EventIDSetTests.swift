import Testing
@testable import TrailmarkEngine

/// `EventIDSet` against `Set<UInt64>`: inserts (new and repeated), lookups and reserves in
/// random order give the same answers before, during and after incremental growths, and a
/// copy taken mid-growth is an independent value.
@Suite("EventIDSet")
struct EventIDSetTests {
    @Test("behaves like Set<UInt64> through incremental growths", arguments: [UInt64(1), 2, 3, 4])
    func model(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var set = EventIDSet()
        var model = Set<UInt64>()
        var inserted: [UInt64] = []
        var sawMigration = false
        for _ in 0..<60_000 {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<70:
                // New fingerprints, or a repeat of an earlier one (a retry).
                let fp = inserted.isEmpty || rng.chance(0.8) ? UInt64.random(in: 1...UInt64.max, using: &rng) : rng.pick(inserted)
                let expected = model.insert(fp).inserted
                let result = set.insert(fingerprint: fp)
                #expect(result == expected, "seed \(seed)")
                if expected { inserted.append(fp) }
            case 70..<95:
                let fp = inserted.isEmpty || rng.chance(0.5) ? UInt64.random(in: 1...UInt64.max, using: &rng) : rng.pick(inserted)
                #expect(set.contains(fingerprint: fp) == model.contains(fp), "seed \(seed)")
            default:
                set.reserve(additional: Int.random(in: 0...(rng.chance(0.1) ? 5_000 : 50), using: &rng))
            }
            sawMigration = sawMigration || set.isMigrating
            #expect(set.count == model.count)
        }
        #expect(sawMigration)
        for fp in inserted { #expect(set.contains(fingerprint: fp)) }
    }

    @Test("a copy taken during a growth is independent")
    func copies() {
        var set = EventIDSet()
        var fp: UInt64 = 0x9E37_79B9_7F4A_7C15
        var added: [UInt64] = []
        while !set.isMigrating {
            fp &+= 0x9E37_79B9_7F4A_7C15
            let isNew = set.insert(fingerprint: fp)
            #expect(isNew)
            added.append(fp)
        }
        var copy = set
        let extra = (1...5_000).map { UInt64($0) &* 0xD6E8_FEB8_6659_FD93 | 1 }
        for x in extra { _ = copy.insert(fingerprint: x) }
        #expect(!copy.isMigrating)
        for x in extra where !added.contains(x) { #expect(!set.contains(fingerprint: x)) }
        for a in added { #expect(set.contains(fingerprint: a) && copy.contains(fingerprint: a)) }
        #expect(set.count == added.count)
    }

    @Test("an empty set reserved for n ids neither grows nor prepares a growth while they are added")
    func reserveSizesAnEmptySet() {
        var set = EventIDSet()
        set.reserve(additional: 100_000)
        let capacity = set.capacity, bytes = set.allocatedBytes
        for i in 1...100_000 { _ = set.insert(fingerprint: UInt64(i) &* 0x9E37_79B9_7F4A_7C15) }
        #expect(set.capacity == capacity && set.allocatedBytes == bytes && !set.isMigrating && set.count == 100_000)
        // Beyond them, a growth is prepared and then happens, incrementally.
        var grew = false
        for i in 100_001...140_000 {
            _ = set.insert(fingerprint: UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
            grew = grew || set.isMigrating
        }
        #expect(grew && set.capacity > capacity && set.count == 140_000)
    }
}
