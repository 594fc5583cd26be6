import Testing
@testable import TrailmarkServices

/// In-batch retries by fingerprint, against a `Set` reference on random batches.
@Suite struct BatchRepeatsTests {
    @Test(arguments: [1, 7, 100, 1000, 5000])
    func matchesASetReference(size: Int) {
        var rng = SystemRandomNumberGenerator()
        for _ in 0 ..< 20 {
            // Few distinct values (many repeats), colliding low bits (same table slot).
            let pool = (0 ..< max(1, size / 3)).map { UInt64($0 + 1) << 40 | UInt64.random(in: 1 ... 3, using: &rng) }
            let fps = (0 ..< size).map { _ in pool.randomElement(using: &rng)! }  // `!`: pool is never empty
            let skip = (0 ..< size).map { _ in Int.random(in: 0 ..< 10, using: &rng) == 0 }
            var seen = Set<UInt64>()
            let expected = fps.indices.map { i in skip[i] ? false : !seen.insert(fps[i]).inserted }
            #expect(BatchRepeats.mark(fps, skip: skip) == expected)
        }
    }

    @Test func noRepeatsInADistinctBatch() {
        let fps = (1 ... 1000).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        #expect(!BatchRepeats.mark(fps, skip: Array(repeating: false, count: 1000)).contains(true))
    }

    /// Server ids are never retries, even when their fingerprints repeat (a batch of
    /// server ids only takes the early return).
    @Test func aBatchOfServerIDsOnlyHasNoRepeats() {
        let fps: [UInt64] = [5, 5, 9, 5, 9]
        #expect(BatchRepeats.mark(fps, skip: Array(repeating: true, count: 5)) == Array(repeating: false, count: 5))
        #expect(BatchRepeats.mark(fps, skip: [true, false, true, false, false]) == [false, false, false, true, false])
        #expect(BatchRepeats.mark([], skip: []).isEmpty)
    }
}
