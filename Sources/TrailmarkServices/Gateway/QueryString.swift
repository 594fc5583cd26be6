/// A parsed URL query string (`a=1&b=x+y&event=a&event=b`): percent-decoded, `+` as space,
/// repeated keys kept in order.
public struct QueryString: Sendable {
    public private(set) var pairs: [(key: String, value: String)] = []

    public init(_ raw: Substring) throws(APIError) {
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(kv[0])
            let value = kv.count > 1 ? try Self.decode(kv[1]) : ""
            pairs.append((key: key, value: value))
        }
    }

    public init(_ raw: String) throws(APIError) { try self.init(raw[...]) }

    /// The first value of `key`; an empty value counts as absent.
    public subscript(key: String) -> String? {
        guard let v = pairs.first(where: { $0.key == key })?.value, !v.isEmpty else { return nil }
        return v
    }

    /// Every non-empty value of `key`, in order.
    public func all(_ key: String) -> [String] {
        pairs.filter { $0.key == key && !$0.value.isEmpty }.map(\.value)
    }

    /// Percent-decodes one component; `+` is a space. Invalid escapes or UTF-8 are errors.
    static func decode(_ s: Substring) throws(APIError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            switch b {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let h = it.next(), let l = it.next(), let hv = hexValue(h), let lv = hexValue(l) else {
                    throw APIError(.invalidQuery, "malformed percent escape in query string", reason: "bad_escape")
                }
                bytes.append(hv << 4 | lv)
            default: bytes.append(b)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw APIError(.invalidQuery, "query string is not valid UTF-8", reason: "invalid_utf8")
        }
        return text
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
