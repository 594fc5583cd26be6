import Testing
import TrailmarkWire
@testable import TrailmarkServices

/// Structured random blocks (random columns, references, bitmaps, properties, repeated and
/// unknown fields, values at the limits) checked both ways: whatever the scan takes, the
/// ordinary path accepts unchanged, with the same record and acknowledgement.
@Suite struct IngestFastPathFuzzTests {
    typealias E = IngestFastPathEdgeTests

    struct Blocks {
        var rng: SystemRandomNumberGeneratorLike

        mutating func chance(_ p: Double) -> Bool { rng.unit() < p }

        /// Entries: ordinary strings, empty ones, equivalent spellings, limit-sized ones,
        /// now and then bytes that are not UTF-8.
        mutating func entry() -> [UInt8] {
            switch rng.below(12) {
            case 0: return []
            case 1: return [0xC3, 0xA9]
            case 2: return [0x65, 0xCC, 0x81]
            case 3: return Array(repeating: 0x61, count: [128, 129, 200, 201, 256, 257][rng.below(6)])
            case 4: return chance(0.3) ? [0xFF] : Array("https://ex.com/?utm_source=s\(rng.below(3))".utf8)
            default: return Array("v\(rng.below(6))".utf8)
            }
        }

        mutating func refs(_ n: Int, entries: Int, nullable: Bool) -> [UInt8] {
            var w = WireWriter()
            let k = chance(0.05) ? n + rng.below(3) - 1 : n
            for _ in 0 ..< max(0, k) {
                let r = rng.below(entries + (nullable ? 2 : 1))
                w.appendVarint(UInt64(nullable && chance(0.3) ? 0 : r))
            }
            return w.bytes
        }

        mutating func times(_ n: Int) -> [UInt8] {
            var w = WireWriter()
            var previous: Int64 = 0
            for _ in 0 ..< n {
                let t: Int64 = [1_760_000_000_000_000 + Int64(rng.below(1000)), 0, EventValidator.timestampMax, -1, EventValidator.timestampMax + 1][chance(0.9) ? 0 : rng.below(5)]
                let d = t &- previous
                previous = t
                w.appendVarint(UInt64(bitPattern: (d << 1) ^ (d >> 63)))
            }
            return w.bytes
        }

        mutating func batch() -> [UInt8] {
            let entries = (0 ..< 1 + rng.below(8)).map { _ in entry() }
            let n = 1 + rng.below(4)
            var w = WireWriter()
            if chance(0.1) { w.writeSInt64(2, [0, -1, 1_760_000_000_000_000, EventValidator.timestampMax + 1][rng.below(4)]) }
            w.writeMessage(1) { w in
                w.writeBytes(1, E.dictionary(entries))
                w.writeUInt64(2, UInt64(chance(0.03) ? n + 1 : n))
                w.writeBytes(3, refs(n, entries: entries.count - 1, nullable: false))
                w.writeBytes(4, refs(n, entries: entries.count - 1, nullable: false))
                for field in [5, 8, 9, 10, 11, 12] where chance(0.4) {
                    w.writeBytes(field, refs(n, entries: entries.count, nullable: true))
                }
                if chance(0.5) {
                    let timed = (0 ..< n).filter { _ in chance(0.7) }
                    if chance(0.5) {
                        var bitmap = [UInt8](repeating: 0, count: (n + 7) / 8)
                        for i in timed { bitmap[i >> 3] |= 1 << UInt8(i & 7) }
                        if chance(0.05) { bitmap[0] |= 0x80 }
                        w.writeBytes(7, bitmap)
                        if !timed.isEmpty || chance(0.2) { w.writeBytes(6, times(timed.count)) }
                    } else {
                        w.writeBytes(6, times(n))
                    }
                }
                if chance(0.4) {
                    var counts = WireWriter(), keys = WireWriter(), values = WireWriter()
                    for _ in 0 ..< n {
                        let k = rng.below(3)
                        counts.appendVarint(UInt64(k))
                        for _ in 0 ..< k {
                            keys.appendVarint(UInt64(rng.below(entries.count + (chance(0.05) ? 1 : 0))))
                            let kind = UInt8(chance(0.02) ? 6 : rng.below(6))
                            values.appendByte(kind)
                            switch kind {
                            case 3: values.appendVarint(rng.next())
                            case 4: values.appendFixed64(chance(0.2) ? Double.nan.bitPattern : Double(rng.below(100)).bitPattern)
                            case 5: values.appendVarint(UInt64(rng.below(entries.count)))
                            default: break
                            }
                        }
                    }
                    w.writeBytes(13, counts.bytes)
                    w.writeBytes(14, keys.bytes)
                    w.writeBytes(15, values.bytes)
                }
                if chance(0.05) { w.writeBytes([16, 18, 20, 24, 25][rng.below(5)], [0]) }
                if chance(0.05) { w.writeBytes(3, refs(n, entries: entries.count - 1, nullable: false)) }
                if chance(0.1) { w.writeUInt64(26 + rng.below(5), 1) }
            }
            if chance(0.3) { w.writeUInt64(3, rng.next()) }
            if chance(0.05) { w.writeUInt64(3, 1) }
            return w.bytes
        }
    }

    @Test func randomBlocksAreTakenOnlyWhenTheOrdinaryPathAgrees() {
        var blocks = Blocks(rng: SystemRandomNumberGeneratorLike(seed: 77))
        var taken = 0
        for round in 0 ..< 4000 {
            let bytes = blocks.batch()
            if ScannedEventBatch.scan(bytes) != nil { taken += 1 }
            E.differential(bytes, taken: nil, "round \(round)")
        }
        #expect(taken > 100, "taken \(taken) of 4000")
    }
}
