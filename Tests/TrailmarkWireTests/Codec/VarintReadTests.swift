import Testing
@testable import TrailmarkWire

/// `WireReader.readVarint` (one-load decoding of varints up to 8 bytes, the byte-wise loop
/// for longer ones, for the last bytes of a message and for errors) against the writer,
/// at every length and at every distance from the end of the message.
@Suite struct VarintReadTests {
    static func encoded(_ v: UInt64) -> [UInt8] {
        var w = WireWriter()
        w.appendVarint(v)
        return w.bytes
    }

    /// Reads `bytes` as one varint after `prefix` bytes of padding and followed by `suffix`
    /// bytes; returns the value and the bytes it consumed.
    static func read(_ bytes: [UInt8], suffix: Int) -> (value: UInt64, consumed: Int)? {
        let message = bytes + [UInt8](repeating: 0x01, count: suffix)
        return message.withUnsafeBytes { raw in
            var r = WireReader(raw)
            guard let v = try? r.readVarint() else { return nil }
            return (v, r.index)
        }
    }

    @Test func everyLengthDecodesNearAndFarFromTheEnd() {
        var values = BulkColumnTests.values
        for bits in 0 ..< 64 { values.append(UInt64.max >> UInt64(bits)) }
        for v in values {
            let bytes = Self.encoded(v)
            for suffix in [0, 1, 3, 7, 8, 12] {
                let got = Self.read(bytes, suffix: suffix)
                #expect(got?.value == v && got?.consumed == bytes.count, "\(v) with \(suffix) bytes after")
            }
        }
    }

    @Test func nonMinimalAndOverlongVarintsAreRejectedAtEveryLength() {
        for length in 2 ... 10 {
            // `length - 1` continuation bytes then a final 0: a non-minimal encoding of 1.
            let padded = [0x81] + [UInt8](repeating: 0x80, count: length - 2) + [0x00]
            for suffix in [0, 4, 9] { #expect(Self.read(padded, suffix: suffix) == nil, "\(length) bytes, \(suffix) after") }
        }
        let eleven = [UInt8](repeating: 0xFF, count: 10) + [0x01]
        #expect(Self.read(eleven, suffix: 8) == nil)
        let overflow = [UInt8](repeating: 0xFF, count: 9) + [0x02]
        #expect(Self.read(overflow, suffix: 8) == nil)
        let truncated: [UInt8] = [0x80, 0x80, 0x80]
        #expect(Self.read(truncated, suffix: 0) == nil)
    }
}
