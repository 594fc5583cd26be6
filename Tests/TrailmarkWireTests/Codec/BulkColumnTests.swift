import Testing
@testable import TrailmarkWire

/// The whole-batch column writers of the ingest fast path (`VarintColumn`,
/// `DeltaColumn(count:allPresent:)`, `AttributionColumns(interned:index:base:)`, the
/// precomputed field sizes) against the per-value writers they replace: the same bytes.
@Suite struct BulkColumnTests {
    /// Varints at every length boundary, plus a spread of values from a fixed generator.
    static let values: [UInt64] = {
        var out: [UInt64] = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000, UInt64(UInt32.max), 1 << 63, UInt64.max]
        for shift in 0 ..< 64 { out.append(1 << UInt64(shift)); out.append((1 << UInt64(shift)) - 1) }
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0 ..< 500 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            out.append(x >> (x & 63))
        }
        return out
    }()

    @Test func varintColumnsAreAppendVarintsBytes() {
        var w = WireWriter()
        for v in Self.values { w.appendVarint(v) }
        #expect(VarintColumn.encode(count: Self.values.count) { Self.values[$0] } == w.bytes)
        #expect(VarintColumn.encode(count: 0) { _ in 1 }.isEmpty)
    }

    @Test func varintAndFieldSizesAreTheBytesWritten() {
        for v in Self.values {
            var w = WireWriter()
            w.appendVarint(v)
            #expect(WireWriter.varintSize(v) == w.count, "varint \(v)")
        }
        for number in [1, 2, 15, 16, 25, 2047, 2048] {
            for length in [0, 1, 127, 128, 20_000] {
                var w = WireWriter()
                w.writeBytes(number, [UInt8](repeating: 7, count: length))
                #expect(WireWriter.bytesFieldSize(number, length) == w.count, "field \(number), \(length) bytes")
            }
        }
    }

    @Test func deltaColumnsOfAllPresentValuesAreAppendsBytes() {
        for values in [[Int64](), [5], [1_767_225_000_000_000, 1_767_225_000_000_001, 1_767_225_000_000_000, 0, .max, .min, -3]] {
            var one = DeltaColumn(count: values.count)
            for (i, v) in values.enumerated() { one.append(v, index: i) }
            let bulk = DeltaColumn(count: values.count) { values[$0] }
            var a = WireWriter(), b = WireWriter()
            one.write(values: 6, present: 7, into: &a)
            bulk.write(values: 6, present: 7, into: &b)
            #expect(a.bytes == b.bytes, "\(values)")
            #expect(bulk.encodedSize(values: 6, present: 7) == b.count)
        }
        // A column with missing values also writes the bitmap: its size counts it.
        var sparse = DeltaColumn(count: 9)
        sparse.append(4, index: 2)
        var w = WireWriter()
        sparse.write(values: 6, present: 7, into: &w)
        #expect(sparse.encodedSize(values: 6, present: 7) == w.count && w.count > 4)
    }

    @Test func attributionColumnsBuiltAtOnceAreAddsBytes() {
        let distinct = [
            Attribution(source: "google", medium: "cpc", campaign: "spring", rule: "utm", confidence: .high),
            Attribution(source: "direct", medium: "none", campaign: nil, rule: "no-referrer", confidence: .low),
            Attribution(source: "t.co", medium: "social", campaign: "", rule: "referrer", confidence: .medium),
        ]
        for (index, base) in [([UInt32](), UInt64(0)), ([1, 1, 1], 3), ([0, 1, 2, 1, 0, 2, 2], 200), ([2, 0], 20_000)] {
            var dictionary = StringInterner(expectedStrings: 8)
            var scratch = AttributionColumns()
            let interned = distinct.map { scratch.intern($0, &dictionary) }
            var one = AttributionColumns()
            for k in index { one.add(interned[Int(k)], base: base) }
            let bulk = AttributionColumns(interned: interned, index: index, base: base)
            var a = WireWriter(), b = WireWriter()
            one.write(into: &a)
            bulk.write(into: &b)
            #expect(a.bytes == b.bytes, "\(index), base \(base)")
            #expect(bulk.encodedSize == b.count)
        }
    }

    /// Ids written into one buffer read back as the ids appended one by one.
    @Test func generatedIDsWrittenAtOnceReadBackLikeAppendedOnes() {
        let generate = [true, false, true, true, false, false, true]
        var appended = GeneratedEventIDs(count: generate.count)
        for (i, g) in generate.enumerated() where g { appended.add(event: i) { $0.append(contentsOf: (0 ..< 5).map { UInt8(65 + i + $0) }) } }
        var order: [Int] = []
        let written = GeneratedEventIDs(width: 5, generating: generate) { i, id in
            order.append(i)
            for j in id.indices { id[j] = UInt8(65 + i + j) }
        }
        #expect(order == [0, 2, 3, 6])
        #expect(written.bytes == appended.bytes && !written.isEmpty)
        for i in generate.indices {
            #expect(written.string(i) == appended.string(i), "event \(i)")
            #expect(written.string(i) == (generate[i] ? String(decoding: (0 ..< 5).map { UInt8(65 + i + $0) }, as: UTF8.self) : nil))
        }
        written.withIDs { ids in #expect(ids[1] == nil && ids[6].map(Array.init) == Array("GHIJK".utf8)) }
        let none = GeneratedEventIDs(width: 36, generating: [false, false]) { _, _ in Issue.record("no id to write") }
        #expect(none.isEmpty && none.string(0) == nil && none.bytes.isEmpty)
    }
}
