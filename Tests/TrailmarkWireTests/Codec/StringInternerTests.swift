import Testing
@testable import TrailmarkWire

/// The encoder's dictionary assigns indices in order of first use, finds every repeat
/// (across table growth) and lays entries out as WIRE.md § 6.2 says.
@Suite struct StringInternerTests {
    @Test func firstUseOrderRepeatsAndGrowth() {
        var interner = StringInterner(expectedStrings: 1)
        let strings = (0 ..< 20_000).map { "s\($0 % 7_000)-\(String(repeating: "é", count: $0 % 5))" }
        var expected: [String: UInt64] = [:]
        for s in strings {
            let index = interner.intern(s)
            if let known = expected[s] { #expect(index == known) } else {
                #expect(index == UInt64(expected.count))
                expected[s] = index
            }
        }
        #expect(interner.count == expected.count)
        #expect(interner.intern("") == UInt64(expected.count))
        #expect(interner.intern("") == UInt64(expected.count))
    }

    @Test func dictionaryBytesAreLengthPrefixedUTF8() {
        var interner = StringInterner(expectedStrings: 4)
        for s in ["ab", "", "日", "ab"] { _ = interner.intern(s) }
        #expect(interner.dictionary.bytes == [2, 0x61, 0x62, 0, 3, 0xE6, 0x97, 0xA5])
    }
}
