import TrailmarkWire

extension FunnelResult.GroupKey {
    /// The key as the JSON gateway renders it (API.md); funnel groups are sorted by this
    /// text, compared as UTF-8 bytes.
    public var jsonText: String {
        switch self {
        case .all: "null"
        case .property(let v): v.jsonText
        case .firstTouch(let source, let medium): "[" + jsonString(source) + "," + jsonString(medium) + "]"
        case .experimentGroup(let g): g.map(jsonString) ?? "null"
        }
    }
}

extension PropertyValue {
    /// The value as JSON text (strings escaped per RFC 8259, doubles as Swift prints them).
    public var jsonText: String {
        switch self {
        case .string(let s): jsonString(s)
        case .int(let i): String(i)
        case .double(let d): d.isFinite ? "\(d)" : "null"
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

/// Orders strings by their UTF-8 bytes (the order API.md sorts group keys by).
func utf8Less(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
