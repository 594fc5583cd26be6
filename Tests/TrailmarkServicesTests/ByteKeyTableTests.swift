import Testing
@testable import TrailmarkServices

/// The two small tables behind `AttributionCache`, against `Dictionary` as the model.
@Suite struct ByteKeyTableTests {
    @Test func indexesDistinctByteStringsInFirstSeenOrder() {
        var table = ByteKeyTable()
        var model: [[UInt8]: Int] = [:]
        var rng = SplitMix(seed: 21)
        for _ in 0 ..< 20_000 {
            // Short strings over 3 letters: many repeats, many of the same length, and "".
            let bytes = (0 ..< Int(rng.next() % 7)).map { _ in UInt8(ascii: "a") + UInt8(rng.next() % 3) }
            let got = bytes.withUnsafeBufferPointer { table.index(of: $0) }
            let expected = model[bytes]
            #expect(got.isNew == (expected == nil))
            #expect(got.index == expected ?? model.count)
            if expected == nil { model[bytes] = got.index }
            #expect(table.withBytes(got.index) { Array($0) } == bytes)
        }
        #expect(table.count == model.count)
    }

    @Test func pairTableStoresWhatItWasGiven() {
        var table = IndexPairTable()
        var model: [UInt64: Int32] = [:]
        var rng = SplitMix(seed: 22)
        for step in 0 ..< 20_000 {
            let a = UInt32(rng.next() % 300), b = UInt32(rng.next() % 40)
            let key = UInt64(a) << 32 | UInt64(b)
            #expect(table.value(a, b) == model[key])
            if model[key] == nil {
                table.set(a, b, Int32(step))
                model[key] = Int32(step)
            }
        }
        #expect(table.count == model.count)
        #expect(table.value(0xFFFF_FFFE, 0xFFFF_FFFE) == nil)
    }
}
