/// Appends Trailmark wire format (`Proto/WIRE.md`) to a growing byte array.
///
/// Encoders write fields in ascending field-number order and follow the canonical rules
/// of WIRE.md § 4 (defaults omitted, optionals written when present, minimal varints), so
/// equal messages always encode to equal bytes — the golden vectors depend on it.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// A writer that has written `bytes` (encoded elsewhere, e.g. a `VarintColumn`).
    init(written bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes written so far.
    public var count: Int { bytes.count }

    /// Makes room for `n` bytes in all, so that writing them allocates no more.
    mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n) }

    /// Bytes of `value`'s minimal varint (1…10).
    static func varintSize(_ value: UInt64) -> Int {
        // 7 bits a byte; 0 takes one byte like 1.
        (64 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    /// Bytes of a length-delimited field `number` of `length` bytes: tag, length, body.
    static func bytesFieldSize(_ number: Int, _ length: Int) -> Int {
        varintSize(UInt64(number) << 3 | UInt64(WireType.lengthDelimited.rawValue)) + varintSize(UInt64(length)) + length
    }

    // MARK: Primitives

    /// One raw byte.
    public mutating func appendByte(_ b: UInt8) { bytes.append(b) }

    /// A minimal base-128 varint.
    public mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Eight bytes, little-endian.
    public mutating func appendFixed64(_ value: UInt64) {
        var v = value
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    /// Raw bytes, unframed.
    public mutating func appendBytes(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Raw bytes, unframed.
    public mutating func appendBytes(_ raw: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: raw) }

    /// A field tag: `number << 3 | wireType`.
    public mutating func appendTag(_ number: Int, _ type: WireType) {
        precondition(number >= 1 && number <= FieldHeader.numberMax, "field number out of range")
        appendVarint(UInt64(number) << 3 | UInt64(type.rawValue))
    }

    // MARK: Fields (always written; callers apply the canonical omission rules)

    /// A `uint64` / `uint32` field (varint).
    public mutating func writeUInt64(_ number: Int, _ value: UInt64) {
        appendTag(number, .varint)
        appendVarint(value)
    }

    /// An `sint64` field (zigzag varint).
    public mutating func writeSInt64(_ number: Int, _ value: Int64) {
        appendTag(number, .varint)
        appendVarint(zigzagEncode(value))
    }

    /// A `bool` field (varint 0 or 1).
    public mutating func writeBool(_ number: Int, _ value: Bool) {
        appendTag(number, .varint)
        bytes.append(value ? 1 : 0)
    }

    /// A `double` field (fixed64, little-endian IEEE 754).
    public mutating func writeDouble(_ number: Int, _ value: Double) {
        appendTag(number, .fixed64)
        appendFixed64(value.bitPattern)
    }

    /// An enum field (varint of the raw value).
    public mutating func writeEnum<E: RawRepresentable>(_ number: Int, _ value: E) where E.RawValue == UInt8 {
        writeUInt64(number, UInt64(value.rawValue))
    }

    /// A `string` field (length-delimited UTF-8).
    public mutating func writeString(_ number: Int, _ value: String) {
        appendTag(number, .lengthDelimited)
        var s = value
        s.withUTF8 { utf8 in
            appendVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A `bytes` field (length-delimited).
    public mutating func writeBytes(_ number: Int, _ value: [UInt8]) {
        appendTag(number, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// An embedded message written by `body`. With `omitIfEmpty`, nothing at all (not even
    /// the tag) is written when the body writes no bytes (WIRE.md § 4: empty non-optional
    /// messages are omitted).
    public mutating func writeMessage(_ number: Int, omitIfEmpty: Bool = false, _ body: (inout WireWriter) -> Void) {
        let tagStart = bytes.count
        appendTag(number, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)  // one-byte length placeholder; widened below if needed
        let bodyStart = bytes.count
        body(&self)
        let length = bytes.count - bodyStart
        if length == 0 && omitIfEmpty {
            bytes.removeSubrange(tagStart...)
            return
        }
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var prefix = WireWriter(capacity: 10)
        prefix.appendVarint(UInt64(length))
        bytes.replaceSubrange(lengthAt ..< bodyStart, with: prefix.bytes)
    }
}
