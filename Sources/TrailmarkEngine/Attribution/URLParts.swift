/// The pieces of a URL that attribution reads (SEMANTICS §6): the normalised host and
/// the query parameters.
///
/// Parsing is deliberately lenient — attribution never fails: anything that does not
/// look like a URL simply has no host or no parameters.
struct URLParts {
    /// Host, lower-cased, without port, user info, trailing dot or a leading `www.`;
    /// empty when the text has none.
    var host: String
    /// Query parameters: names are case-sensitive and URL-decoded; values are
    /// URL-decoded with `+` as a space. Empty values are absent and the first
    /// occurrence of a repeated name wins (SEMANTICS §6 fine print).
    var parameters: [String: String]

    init(_ text: String) {
        host = URLParts.host(of: text)
        parameters = URLParts.queryParameters(of: text)
    }

    /// The normalised host of `text`: `scheme://[userinfo@]host[:port]/…`, or — without
    /// `://` — everything before the first `/`, `?` or `#`.
    static func host(of text: String) -> String {
        var rest = Substring(text)
        if let schemeEnd = indexAfterSchemeSeparator(rest) {
            rest = rest[schemeEnd...]
        } else if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
        }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            rest = rest[..<end]
        }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("[") {
            // IPv6 literal: the host is the bracketed part, the port follows it.
            if let close = rest.firstIndex(of: "]") { rest = rest[...close] }
        } else if let colon = rest.firstIndex(of: ":") {
            rest = rest[..<colon]
        }
        return normalisedHost(String(rest))
    }

    /// The index just after the first `://`, when the text has one.
    private static func indexAfterSchemeSeparator(_ s: Substring) -> Substring.Index? {
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == ":", s[i...].hasPrefix("://") { return s.index(i, offsetBy: 3) }
            i = s.index(after: i)
        }
        return nil
    }

    /// Lower-cases, drops one trailing dot and one leading `www.`.
    static func normalisedHost(_ raw: String) -> String {
        var h = raw.lowercased()
        if h.hasSuffix(".") { h.removeLast() }
        if h.hasPrefix("www.") { h.removeFirst(4) }
        return h
    }

    /// Parses the query string (after the first `?`, before `#`).
    static func queryParameters(of text: String) -> [String: String] {
        var beforeFragment = Substring(text)
        if let hash = beforeFragment.firstIndex(of: "#") { beforeFragment = beforeFragment[..<hash] }
        guard let q = beforeFragment.firstIndex(of: "?") else { return [:] }
        let query = beforeFragment[beforeFragment.index(after: q)...]
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let eq = pair.firstIndex(of: "=") {
                name = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                name = pair
                value = ""
            }
            let decodedValue = decode(value)
            // An empty value counts as absent, so a later non-empty occurrence may win.
            guard !decodedValue.isEmpty else { continue }
            let decodedName = decode(name)
            if result[decodedName] == nil { result[decodedName] = decodedValue }
        }
        return result
    }

    /// Percent-decoding with `+` as a space. A `%` not followed by two hex digits is
    /// kept literally; invalid UTF-8 after decoding becomes U+FFFD.
    static func decode(_ s: Substring) -> String {
        let utf8 = Array(s.utf8)
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                i += 1
            } else if c == UInt8(ascii: "%"), i + 2 < utf8.count, let hi = hexValue(utf8[i + 1]), let lo = hexValue(utf8[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension URLParts {
    /// Parts given directly (no URL).
    init(host: String, parameters: [String: String]) {
        self.host = host
        self.parameters = parameters
    }
}
