import TrailmarkWire

/// Reads typed members of one JSON object, naming the member's JSON path in every error.
///
/// Absent members and explicit `null` both read as `nil` for optional fields. Unknown
/// members are ignored (API.md: fields are added freely, so old servers accept new clients).
struct JSONObjectReader {
    let value: JSONValue
    let path: String
    let code: APIError.Code

    init(_ value: JSONValue, path: String, code: APIError.Code) throws(APIError) {
        guard case .object = value else {
            throw APIError(code, "\(path.isEmpty ? "body" : path) must be a JSON object, not \(value.typeName)",
                           field: path.isEmpty ? nil : path, reason: "wrong_type")
        }
        self.value = value
        self.path = path
        self.code = code
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func wrongType(_ key: String, expected: String, got: JSONValue) -> APIError {
        APIError(code, "\(fieldPath(key)) must be \(expected), not \(got.typeName)", field: fieldPath(key), reason: "wrong_type")
    }

    func raw(_ key: String) -> JSONValue? {
        guard let v = value[key], v != .null else { return nil }
        return v
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let v = raw(key) else { return nil }
        guard case .string(let s) = v else { throw wrongType(key, expected: "a string", got: v) }
        return s
    }

    func requiredString(_ key: String) throws(APIError) -> String {
        guard let s = try string(key) else {
            throw APIError(code, "\(fieldPath(key)) is required", field: fieldPath(key), reason: "required")
        }
        return s
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = raw(key) else { return nil }
        guard case .bool(let b) = v else { throw wrongType(key, expected: "a boolean", got: v) }
        return b
    }

    func int(_ key: String) throws(APIError) -> Int64? {
        guard let v = raw(key) else { return nil }
        guard case .int(let i) = v else { throw wrongType(key, expected: "an integer", got: v) }
        return i
    }

    /// A time: RFC 3339 string or integer microseconds since the epoch.
    func time(_ key: String) throws(APIError) -> Int64? {
        guard let v = raw(key) else { return nil }
        switch v {
        case .int(let i): return i
        case .string(let s):
            guard let t = TimeFormat.parseRFC3339(s) else {
                throw APIError(code, "\(fieldPath(key)) is not an RFC 3339 time: \(s.prefix(64))", field: fieldPath(key), reason: "bad_time")
            }
            return t
        default: throw wrongType(key, expected: "an RFC 3339 string or integer microseconds", got: v)
        }
    }

    /// A duration: integer microseconds or a string such as `"30m"`, `"7d"`.
    func duration(_ key: String) throws(APIError) -> Int64? {
        guard let v = raw(key) else { return nil }
        return try Self.duration(v, path: fieldPath(key), code: code)
    }

    static func duration(_ v: JSONValue, path: String, code: APIError.Code) throws(APIError) -> Int64 {
        switch v {
        case .int(let i) where i >= 0: return i
        case .string(let s):
            guard let d = TimeFormat.parseDuration(s) else {
                throw APIError(code, "\(path) is not a duration (microseconds or e.g. \"30m\", \"7d\"): \(s.prefix(64))", field: path, reason: "bad_duration")
            }
            return d
        default:
            throw APIError(code, "\(path) must be a non-negative duration", field: path, reason: "bad_duration")
        }
    }

    func array(_ key: String) throws(APIError) -> [JSONValue]? {
        guard let v = raw(key) else { return nil }
        guard case .array(let a) = v else { throw wrongType(key, expected: "an array", got: v) }
        return a
    }

    /// A flat map of scalars (properties, traits, step filters).
    func properties(_ key: String) throws(APIError) -> Properties {
        guard let v = raw(key) else { return [:] }
        guard case .object(let members) = v else { throw wrongType(key, expected: "an object", got: v) }
        var props = Properties()
        var seen = Set<String>()
        for member in members {
            let memberPath = "\(fieldPath(key)).\(member.key)"
            guard seen.insert(member.key).inserted else {
                throw APIError(code, "\(memberPath) appears twice", field: memberPath, reason: "duplicate_key")
            }
            let pv: PropertyValue
            switch member.value {
            case .null: pv = .null
            case .bool(let b): pv = .bool(b)
            case .int(let i): pv = .int(i)
            case .double(let d): pv = .double(d)
            case .string(let s): pv = .string(s)
            case .array, .object:
                throw APIError(code, "\(memberPath) must be a string, number, boolean or null (properties are flat)", field: memberPath, reason: "not_flat")
            }
            props.append(Property(member.key, pv))
        }
        return props
    }
}
