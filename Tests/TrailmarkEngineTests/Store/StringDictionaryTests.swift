import Testing
@testable import TrailmarkEngine

@Suite("StringDictionary")
struct StringDictionaryTests {
    @Test("dense ids in order of first appearance, stable across growth and chunk boundaries")
    func interning() {
        var d = StringDictionary()
        var expected: [String] = []
        for i in 0..<20_000 {
            let s = i % 7 == 0 ? "" + String(repeating: "x", count: i % 300) + "\(i)" : "anon-\(i)-é"
            expected.append(s)
            #expect(d.intern(s) == UInt32(i))
        }
        #expect(d.intern("") == UInt32(expected.count))
        expected.append("")
        let snap = d.snapshot()
        #expect(snap.count == expected.count)
        for (i, s) in expected.enumerated() where i % 97 == 0 || i == expected.count - 1 {
            #expect(snap[i] == s)
            #expect(d.id(of: s) == UInt32(i))
            #expect(d.intern(s) == UInt32(i))
        }
        #expect(d.id(of: "never") == nil)
    }

    @Test("a string of 1 MiB or more is kept aside, not in the arena")
    func oversized() {
        var d = StringDictionary()
        let big = String(repeating: "b", count: 1 << 20)
        #expect(d.intern("a") == 0)
        #expect(d.intern(big) == 1)
        #expect(d.intern(big) == 1)
        #expect(d.snapshot()[1] == big)
        #expect(d.id(of: big) == 1)
    }
}
