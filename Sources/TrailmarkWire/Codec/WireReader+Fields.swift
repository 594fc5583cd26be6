/// Typed field reads: each checks the wire type of `field` against the schema's, reads the
/// value and names `name` (the schema field name) in any error (`Proto/WIRE.md` § 3).
extension WireReader {
    /// A `uint64` (varint).
    public mutating func readUInt64(_ field: FieldHeader, _ name: StaticString) throws(WireError) -> UInt64 {
        try expect(field, .varint, name)
        do { return try readVarint() } catch { throw error.nested(in: "\(name)") }
    }

    /// A `uint32` (varint at most 2^32 - 1).
    public mutating func readUInt32(_ field: FieldHeader, _ name: StaticString) throws(WireError) -> UInt32 {
        let v = try readUInt64(field, name)
        guard v <= UInt64(UInt32.max) else {
            throw WireError(.invalidValue, field: "\(name)", "\(v) does not fit in uint32")
        }
        return UInt32(v)
    }

    /// An `sint64` (zigzag varint).
    public mutating func readSInt64(_ field: FieldHeader, _ name: StaticString) throws(WireError) -> Int64 {
        zigzagDecode(try readUInt64(field, name))
    }

    /// A `bool` (varint 0 or 1; any other value is `invalidValue`).
    public mutating func readBool(_ field: FieldHeader, _ name: StaticString) throws(WireError) -> Bool {
        switch try readUInt64(field, name) {
        case 0: return false
        case 1: return true
        case let v: throw WireError(.invalidValue, field: "\(name)", "bool must be 0 or 1, got \(v)")
        }
    }

    /// A `double` (fixed64, IEEE 754 binary64, little-endian).
    public mutating func readDouble(_ field: FieldHeader, _ name: StaticString) throws(WireError) -> Double {
        try expect(field, .fixed64, name)
        do { return Double(bitPattern: try readFixed64()) } catch { throw error.nested(in: "\(name)") }
    }

    /// An enum value: a varint that must be one of `E`'s raw values.
    public mutating func readEnum<E: RawRepresentable>(_ field: FieldHeader, _ name: StaticString, as: E.Type = E.self)
        throws(WireError) -> E where E.RawValue == UInt8
    {
        let v = try readUInt64(field, name)
        guard v <= 255, let e = E(rawValue: UInt8(v)) else {
            throw WireError(.invalidValue, field: "\(name)", "unknown \(E.self) value \(v)")
        }
        return e
    }

    /// A `string`: a length (at most `maxBytes`, checked before reading) and valid UTF-8.
    public mutating func readString(_ field: FieldHeader, _ name: StaticString, maxBytes: Int) throws(WireError) -> String {
        try expect(field, .lengthDelimited, name)
        do {
            let count = try readLength(maximum: maxBytes)
            let s = try makeString(start: index, count: count)
            index += count
            return s
        } catch {
            throw error.nested(in: "\(name)")
        }
    }

    /// The byte range of a length-delimited field's value, skipping over it (zero-copy).
    public mutating func readSlice(_ field: FieldHeader, _ name: StaticString) throws(WireError) -> Range<Int> {
        try expect(field, .lengthDelimited, name)
        do {
            let count = try readLength(maximum: Int.max)
            defer { index += count }
            return index ..< index + count
        } catch {
            throw error.nested(in: "\(name)")
        }
    }

    /// Decodes an embedded message with `body`, which reads fields until `nextField()` is nil.
    /// Depth is bounded by `limits.nestingDepthMax`; errors get the path `name` or `name[index]`.
    public mutating func readMessage<T>(
        _ field: FieldHeader, _ name: StaticString, index elementIndex: Int? = nil,
        _ body: (inout WireReader) throws(WireError) -> T
    ) throws(WireError) -> T {
        do throws(WireError) {
            guard field.wireType == .lengthDelimited else {
                throw WireError(.wrongWireType, field: "", "field \(field.number) has wire type \(field.wireType.name), expected length-delimited")
            }
            let count = try readLength(maximum: Int.max)
            guard depth < limits.nestingDepthMax else {
                throw WireError(.limitExceeded, field: "", "nesting deeper than \(limits.nestingDepthMax) messages")
            }
            let savedEnd = end
            end = index + count
            depth += 1
            let value = try body(&self)
            guard index == end else {
                throw WireError(.invalidValue, field: "", "embedded message decoder stopped before its end")
            }
            depth -= 1
            end = savedEnd
            return value
        } catch {
            if let i = elementIndex { throw error.nested(in: "\(name)[\(i)]") }
            throw error.nested(in: "\(name)")
        }
    }

    /// Throws `limitExceeded` when a repeated field already holds `count` >= `maximum` items.
    public func checkCount(_ count: Int, _ maximum: Int, _ name: StaticString) throws(WireError) {
        guard count < maximum else {
            throw WireError(.limitExceeded, field: "\(name)", "more than \(maximum) items")
        }
    }
}
