/// Row-form property maps and nullable wrappers (`Proto/WIRE.md` § 5):
///
///     message PropertyValue { oneof { string string_value = 2; sint64 int_value = 3;
///                                     double double_value = 4; bool bool_value = 5;
///                                     bool null_value = 6 } }           // null_value is 1
///     message Property      { string key = 1; <the PropertyValue fields 2..6> }
///     message NullableInt64 { optional sint64 value = 1; }              // empty = null
///     message NullableString { optional string value = 1; }
///
/// Used by identify traits, funnel filters and funnel group keys; event properties use the
/// columnar form of the event batch instead.
enum PropertyCodec {
    /// Writes the value fields (2...6) of `value`.
    static func encodeValue(_ value: PropertyValue, into w: inout WireWriter) {
        switch value {
        case .string(let s): w.writeString(2, s)
        case .int(let i): w.writeSInt64(3, i)
        case .double(let d): w.writeDouble(4, d)
        case .bool(let b): w.writeBool(5, b)
        case .null: w.writeBool(6, true)
        }
    }

    /// Reads field `f` when it is a value field (2...6); `nil` for any other field number.
    static func decodeValueField(_ f: FieldHeader, _ r: inout WireReader) throws(WireError) -> PropertyValue? {
        switch f.number {
        case 2: return .string(try r.readString(f, "string_value", maxBytes: r.limits.stringBytesMax))
        case 3: return .int(try r.readSInt64(f, "int_value"))
        case 4: return .double(try r.readDouble(f, "double_value"))
        case 5: return .bool(try r.readBool(f, "bool_value"))
        case 6:
            guard try r.readBool(f, "null_value") else {
                throw WireError(.invalidValue, field: "null_value", "null_value must be true (1)")
            }
            return .null
        default: return nil
        }
    }

    /// Decodes a `PropertyValue` message (the last value field wins; none is `missingField`).
    static func decodeValue(_ r: inout WireReader) throws(WireError) -> PropertyValue {
        var value: PropertyValue?
        while let f = try r.nextField() {
            if let v = try decodeValueField(f, &r) { value = v } else { try r.skip(f) }
        }
        guard let value else { throw WireError(.missingField, field: "", "property value has none of its value fields") }
        return value
    }

    /// Writes each entry of `properties` as a `Property` message in field `number`.
    static func encode(_ properties: Properties, field number: Int, into w: inout WireWriter) {
        for p in properties.entries {
            w.writeMessage(number) { w in
                if !p.key.isEmpty { w.writeString(1, p.key) }
                encodeValue(p.value, into: &w)
            }
        }
    }

    /// Decodes one `Property` message in field `f` and appends it to `map`, enforcing the
    /// key, count, size and uniqueness limits of SEMANTICS §1.
    static func decodeEntry(
        _ f: FieldHeader, _ name: StaticString, into map: inout PropertyMapBuilder, _ r: inout WireReader
    ) throws(WireError) {
        let limits = r.limits
        try r.checkCount(map.entries.count, limits.propertiesCountMax, name)
        let index = map.entries.count
        let property = try r.readMessage(f, name, index: index) { (r: inout WireReader) throws(WireError) -> Property in
            var key = ""
            var value: PropertyValue?
            while let f = try r.nextField() {
                if f.number == 1 {
                    key = try r.readString(f, "key", maxBytes: limits.propertyKeyBytesMax)
                } else if let v = try decodeValueField(f, &r) {
                    value = v
                } else {
                    try r.skip(f)
                }
            }
            guard let value else { throw WireError(.missingField, field: "", "property \"\(key)\" has no value") }
            return Property(key, value)
        }
        try map.add(property, limits: limits, name)
    }

    /// Writes a nullable int64 wrapper message.
    static func encodeNullable(_ value: Int64?, field number: Int, into w: inout WireWriter) {
        w.writeMessage(number) { w in if let value { w.writeSInt64(1, value) } }
    }

    static func encodeNullable(_ value: String?, field number: Int, into w: inout WireWriter) {
        w.writeMessage(number) { w in if let value { w.writeString(1, value) } }
    }

    static func decodeNullableInt64(_ r: inout WireReader) throws(WireError) -> Int64? {
        var value: Int64?
        while let f = try r.nextField() {
            if f.number == 1 { value = try r.readSInt64(f, "value") } else { try r.skip(f) }
        }
        return value
    }

    static func decodeNullableString(_ r: inout WireReader, maxBytes: Int) throws(WireError) -> String? {
        var value: String?
        while let f = try r.nextField() {
            if f.number == 1 { value = try r.readString(f, "value", maxBytes: maxBytes) } else { try r.skip(f) }
        }
        return value
    }
}

/// Collects a row-form property map while decoding: rejects a repeated key and a map whose
/// size (WIRE.md § 7: key bytes + value size) exceeds `propertiesBytesMax`.
struct PropertyMapBuilder {
    private(set) var entries: [Property] = []
    private var keys: Set<String> = []
    private var sizeBytes = 0

    mutating func add(_ p: Property, limits: WireLimits, _ name: StaticString) throws(WireError) {
        guard keys.insert(p.key).inserted else {
            throw WireError(.invalidValue, field: "\(name)[\(entries.count)].key", "duplicate property key \"\(p.key)\"")
        }
        sizeBytes += p.key.utf8.count + PropertyCodec.sizeBytes(of: p.value)
        guard sizeBytes <= limits.propertiesBytesMax else {
            throw WireError(.limitExceeded, field: "\(name)", "properties of \(sizeBytes)+ bytes exceed the maximum of \(limits.propertiesBytesMax) bytes")
        }
        entries.append(p)
    }

    var properties: Properties { Properties(entries) }
}

extension PropertyCodec {
    /// A value's contribution to the properties size (WIRE.md § 7): string bytes, 8 for
    /// numbers, 1 for bool and null.
    static func sizeBytes(of value: PropertyValue) -> Int {
        switch value {
        case .string(let s): s.utf8.count
        case .int, .double: 8
        case .bool, .null: 1
        }
    }
}
