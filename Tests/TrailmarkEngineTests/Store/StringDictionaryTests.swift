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

    /// Interns `strings` with the given (forged) hashes, then checks every id, the snapshot
    /// and that interning again finds the same ids.
    private func checkForged(_ strings: [String], hash: (Int) -> UInt64) {
        var d = StringDictionary()
        for (i, s) in strings.enumerated() { #expect(d.intern(s, hash: hash(i)) == UInt32(i)) }
        #expect(d.count == strings.count)
        _ = d.touch(strings.indices.map(hash))  // loads only: must not trap or change an id (checked below)
        for (i, s) in strings.enumerated() { #expect(d.intern(s, hash: hash(i)) == UInt32(i)) }
        #expect(d.count == strings.count)
        let snap = d.snapshot()
        for (i, s) in strings.enumerated() { #expect(snap[i] == s) }
    }

    @Test("strings of one hash (one tag, one home) get distinct ids across growth")
    func fullCollisions() {
        let strings = (0..<600).map { "same-hash-\($0)" }
        checkForged(strings) { _ in 0xDEAD_BEEF_0000_0001 }
        checkForged(strings) { _ in 0 }  // tag 0, home 0
    }

    @Test("probe runs that wrap from the last slot to the first, and shared tags with other homes")
    func wrapAround() {
        let strings = (0..<3000).map { "wrap-\($0)" }
        // Tags at the top of the range: homes in the last slots, runs wrap to slot 0.
        checkForged(strings) { i in UInt64(0xFFFF_FFFF - UInt32(i % 40)) << 32 | UInt64(i) }
        // Few tags, each shared by many strings, spread over the table.
        checkForged(strings) { i in UInt64(UInt32(i % 7) &* 0x2492_4924) << 32 | UInt64(i * 31) }
    }

    @Test("equal tags but different bytes, lengths or empty strings are told apart")
    func tagMatchesNeedByteCompare() {
        let strings = ["", "a", "ab", "abc", "abcdefgh", "abcdefgi", "abcdefghX", String(repeating: "z", count: 300), "é", "e\u{301}"]
        checkForged(strings) { _ in 42 << 32 }
    }

    @Test("ids stay findable by their real hash at every doubling of the table")
    func growth() {
        var d = StringDictionary()
        var n = 0
        for size in [40, 45, 90, 180, 359, 718, 1436, 2872, 5744, 11_488, 22_976, 45_952] {
            while n < size {
                #expect(d.intern("grow-\(n)") == UInt32(n))
                n += 1
            }
            for k in stride(from: 0, to: n, by: max(1, n / 64)) { #expect(d.id(of: "grow-\(k)") == UInt32(k)) }
            #expect(d.id(of: "grow-\(n)") == nil)
        }
    }
}
