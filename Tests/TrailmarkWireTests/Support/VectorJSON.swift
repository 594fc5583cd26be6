import TrailmarkWire

/// Renders a decoded message as the JSON of its golden vector (`Proto/vectors/README.md`):
/// objects with the schema's snake_case field names in declaration order, `null` for an
/// absent optional, property values as `{"<type>": value}`, enums by their schema name,
/// a oneof case as `{"<case>": value}`, and event blocks in row form (one object per event).
enum VectorJSON {
    static func render(type: String, _ value: Any) -> String {
        "{\n  \"type\": \(quote(type)),\n  \"value\": \(render(value, indent: "  "))\n}\n"
    }

    static func render(_ value: Any, indent: String) -> String {
        let inner = indent + "  "
        switch value {
        case let s as String: return quote(s)
        case let b as Bool: return b ? "true" : "false"
        case let i as Int64: return String(i)
        case let u as UInt64: return String(u)
        case let u as UInt32: return String(u)
        case let d as Double: return d.description
        case let p as Properties:
            guard !p.isEmpty else { return "{}" }
            return "{\n" + p.entries.map { inner + quote($0.key) + ": " + render($0.value, indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        case let v as PropertyValue:
            switch v {
            case .string(let s): return "{\"string\": \(quote(s))}"
            case .int(let i): return "{\"int\": \(i)}"
            case .double(let d): return "{\"double\": \(d.description)}"
            case .bool(let b): return "{\"bool\": \(b)}"
            case .null: return "{\"null\": null}"
            }
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return "null" }
            return render(wrapped, indent: indent)
        case .collection:
            guard !mirror.children.isEmpty else { return "[]" }
            return "[\n" + mirror.children.map { inner + render($0.value, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .enum:
            guard let payload = mirror.children.first else { return quote(screaming(String(describing: value))) }
            let label = snake(payload.label ?? "value")
            return "{\(quote(label)): \(render(payload.value, indent: indent))}"
        case .tuple:
            return object(mirror.children.map { (snake($0.label ?? ""), $0.value) }, indent: indent)
        default:
            return object(mirror.children.map { (snake($0.label ?? ""), $0.value) }, indent: indent)
        }
    }

    private static func object(_ fields: [(String, Any)], indent: String) -> String {
        guard !fields.isEmpty else { return "{}" }
        let inner = indent + "  "
        return "{\n" + fields.map { inner + quote($0.0) + ": " + render($0.1, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "}"
    }

    /// `anonymousID` → `anonymous_id`, `eventIDs` → `event_ids`, `p90` → `p90`.
    static func snake(_ name: String) -> String {
        var out = ""
        for c in name.replacingOccurrences("IDs", "Ids").replacingOccurrences("ID", "Id") {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }

    /// `shuttingDown` → `SHUTTING_DOWN`, the schema's enum value names.
    static func screaming(_ name: String) -> String { snake(name).uppercased() }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
