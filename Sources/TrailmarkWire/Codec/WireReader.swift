/// A bounds-checked, zero-copy cursor over borrowed bytes of the Trailmark wire format
/// (`Proto/WIRE.md`).
///
/// Invariants (the only unsafe code of the decoder lives in this type):
/// - `0 <= index <= end <= buffer.count`; every byte read checks `index < end` first, so a
///   read never leaves `buffer` whatever the input says.
/// - `end` is the end of the message being decoded; entering an embedded message narrows
///   it to the embedded length and restores it afterwards.
/// - The reader borrows `buffer`: it must not outlive the memory it was created over (the
///   `[UInt8]` entry points and `withUnsafeBytes` scopes guarantee that; the engine keeps
///   its mapped segment alive while it decodes). It is deliberately not `Sendable`.
/// - Lengths and counts are checked against the bytes that remain before anything is
///   allocated for them, and against `limits`.
/// - After a thrown `WireError` the reader's position is unspecified: discard it (a
///   malformed message poisons that message only).
public struct WireReader {
    let buffer: UnsafeRawBufferPointer
    var index: Int
    var end: Int
    /// The limits every decoder applies (`WireLimits`, `Proto/WIRE.md` § 7).
    public let limits: WireLimits
    /// Embedded-message depth of the current position (0 at the top level).
    public internal(set) var depth: Int = 0

    /// A reader over all of `buffer`. The caller keeps `buffer` alive while the reader is used.
    public init(_ buffer: UnsafeRawBufferPointer, limits: WireLimits = .default) {
        self.buffer = buffer
        self.index = 0
        self.end = buffer.count
        self.limits = limits
    }

    /// A reader over `buffer[range]` sharing this reader's limits and depth.
    func subReader(_ range: Range<Int>) -> WireReader {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "sub-reader outside its buffer")
        var r = self
        r.index = range.lowerBound
        r.end = range.upperBound
        return r
    }

    /// True when the current message has no bytes left.
    public var isAtEnd: Bool { index >= end }
    /// Bytes left in the current message.
    public var remainingBytes: Int { end - index }

    // MARK: Primitive reads

    /// One byte.
    public mutating func readByte() throws(WireError) -> UInt8 {
        guard index < end else { throw WireError(.truncated, field: "", "input ended inside a value") }
        let b = buffer[index]
        index += 1
        return b
    }

    /// A base-128 varint, least significant group first (inlined: it is most of the work
    /// of decoding an event block). Rejects more than 10 bytes, bits
    /// above 64 and non-minimal encodings (a final byte of 0 after the first).
    @inline(__always)
    public mutating func readVarint() throws(WireError) -> UInt64 {
        guard index < end else { throw WireError(.truncated, field: "", "input ended inside a varint") }
        let first = buffer[index]
        if first < 0x80 {
            index += 1
            return UInt64(first)
        }
        if index + 1 < end {  // two-byte fast path (dictionary indices up to 16,383)
            let second = buffer[index + 1]
            if second < 0x80 && second != 0 {
                index += 2
                return UInt64(first & 0x7F) | UInt64(second) << 7
            }
        }
        return try readVarintSlow()
    }

    mutating func readVarintSlow() throws(WireError) -> UInt64 {
        if let value = readShortVarint() { return value }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var count = 0
        while true {
            guard index < end else { throw WireError(.truncated, field: "", "input ended inside a varint") }
            let b = buffer[index]
            index += 1
            count += 1
            if count == 10 && b > 1 {
                throw WireError(.malformedVarint, field: "", "varint overflows 64 bits")
            }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                if b == 0 && count > 1 {
                    throw WireError(.malformedVarint, field: "", "non-minimal varint (\(count) bytes, last is 0)")
                }
                return result
            }
            shift += 7
        }
    }

    /// A minimal varint of at most 8 bytes decoded from one 8-byte load (timestamp deltas
    /// take 3–4): the end of the varint is the first byte without its high bit, and the
    /// 7-bit groups are packed together in three steps. Nil, reading nothing, when fewer than
    /// 8 bytes are left, the varint is longer, or it is not minimal (the byte-wise loop
    /// then reads it or words the error).
    @inline(__always)
    private mutating func readShortVarint() -> UInt64? {
        guard end - index >= 8 else { return nil }
        let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        let stops = ~word & 0x8080_8080_8080_8080
        guard stops != 0 else { return nil }
        let length = (stops.trailingZeroBitCount + 1) >> 3  // 1…8: the stop byte's high bit is bit 8 * length - 1
        guard length == 1 || word >> UInt64(8 * (length - 1)) & 0xFF != 0 else { return nil }
        var x = (length == 8 ? word : word & ((1 << UInt64(8 * length)) - 1)) & 0x7F7F_7F7F_7F7F_7F7F
        x = (x & 0x007F_007F_007F_007F) | (x & 0x7F00_7F00_7F00_7F00) >> 1  // 14-bit pairs
        x = (x & 0x0000_3FFF_0000_3FFF) | (x & 0x3FFF_0000_3FFF_0000) >> 2  // 28-bit quads
        x = (x & 0x0000_0000_0FFF_FFFF) | (x & 0x0FFF_FFFF_0000_0000) >> 4  // 56 bits
        index += length
        return x
    }

    /// Eight bytes, little-endian.
    public mutating func readFixed64() throws(WireError) -> UInt64 {
        guard end - index >= 8 else { throw WireError(.truncated, field: "", "input ended inside a fixed64") }
        let v = buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        index += 8
        return UInt64(littleEndian: v)
    }

    /// A varint length that must fit in the bytes left and be at most `maximum`.
    /// Checked before anything is read or allocated for the body.
    public mutating func readLength(maximum: Int) throws(WireError) -> Int {
        let raw = try readVarint()
        guard raw <= UInt64(remainingBytes) else {
            throw WireError(.truncated, field: "", "length \(raw) exceeds the \(remainingBytes) bytes left")
        }
        let length = Int(raw)
        guard length <= maximum else {
            throw WireError(.limitExceeded, field: "", "length \(length) exceeds the maximum of \(maximum) bytes")
        }
        return length
    }

    /// Validates `buffer[start ..< start + count]` as UTF-8 and returns it as a `String`.
    /// ASCII (the common case: ids, names, urls) is checked eight bytes at a time and
    /// copied without a second validation; anything else goes through the standard
    /// library's validating initializer.
    func makeString(start: Int, count: Int) throws(WireError) -> String {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[start ..< start + count])
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        if Self.isASCII(bytes) { return String(decoding: utf8, as: UTF8.self) }
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw WireError(.invalidUTF8, field: "", "string of \(count) bytes is not valid UTF-8")
        }
        return s
    }

    /// Throws `invalidUTF8` unless `buffer[start ..< start + count]` is valid UTF-8; creates
    /// no `String` for ASCII (the common case).
    func validateUTF8(start: Int, count: Int) throws(WireError) {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[start ..< start + count])
        if Self.isASCII(bytes) { return }
        guard String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) != nil else {
            throw WireError(.invalidUTF8, field: "", "string of \(count) bytes is not valid UTF-8")
        }
    }

    /// True when no byte has its high bit set.
    @inline(__always)
    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(bytes[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    // MARK: Fields

    /// The next field's tag, or `nil` at the end of the current message.
    public mutating func nextField() throws(WireError) -> FieldHeader? {
        guard index < end else { return nil }
        let tag = try readVarint()
        let number = tag >> 3
        guard number >= 1 && number <= UInt64(FieldHeader.numberMax) else {
            throw WireError(.invalidValue, field: "", "field number \(number) outside 1...\(FieldHeader.numberMax)")
        }
        guard let type = WireType(rawValue: UInt8(tag & 7)) else {
            throw WireError(.wrongWireType, field: "", "undefined wire type \(tag & 7) on field \(number)")
        }
        return FieldHeader(number: Int(number), wireType: type)
    }

    /// Skips the value of a field this reader does not know (old readers accept new writers).
    /// Never recurses: an unknown embedded message is skipped by its length.
    public mutating func skip(_ field: FieldHeader) throws(WireError) {
        switch field.wireType {
        case .varint: _ = try readVarint()
        case .fixed64:
            guard remainingBytes >= 8 else { throw WireError(.truncated, field: "", "input ended inside a fixed64") }
            index += 8
        case .fixed32:
            guard remainingBytes >= 4 else { throw WireError(.truncated, field: "", "input ended inside a fixed32") }
            index += 4
        case .lengthDelimited:
            index += try readLength(maximum: Int.max)
        }
    }

    /// Throws `wrongWireType` unless `field` has wire type `expected`.
    public func expect(_ field: FieldHeader, _ expected: WireType, _ name: StaticString) throws(WireError) {
        guard field.wireType == expected else {
            throw WireError(.wrongWireType, field: "\(name)", "field \(field.number) has wire type \(field.wireType.name), expected \(expected.name)")
        }
    }
}
