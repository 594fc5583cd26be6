/// The pieces of a URL that attribution reads (SEMANTICS §6): the normalised host
/// (lower-cased, without port, user info, trailing dot or a leading `www.`; empty when the
/// text has none) and the query parameters (names case-sensitive and URL-decoded; values
/// URL-decoded with `+` as a space; empty values absent; the first occurrence of a
/// repeated name wins, SEMANTICS §6 fine print).
///
/// Parsing is deliberately lenient — attribution never fails: anything that does not
/// look like a URL simply has no host or no parameters.
enum URLParts {
    /// The normalised host of `text`: `scheme://[userinfo@]host[:port]/…`, or — without
    /// `://` — everything before the first `/`, `?` or `#`.
    ///
    /// Works on UTF-8 bytes (every delimiter is ASCII, so a byte match is a character
    /// match); it allocates only the result.
    static func host(of text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in normalisedHost(UnsafeBufferPointer(rebasing: bytes[spans(of: bytes).host])) }
    }

    /// Where a URL's raw host and raw query are in its UTF-8 bytes: everything attribution
    /// reads of a URL (`host(of:)` and `queryParameters(of:)` are functions of these two
    /// slices alone, which is what makes `AttributionKey` exact).
    struct Spans {
        /// The bytes `normalisedHost` turns into the host: after the scheme and user info,
        /// without the port (an IPv6 literal keeps its brackets).
        var host: Range<Int>
        /// The bytes after the first `?` and before the first `#`; empty without a `?`.
        var query: Range<Int>
    }

    /// The host and query spans of `bytes` (see `Spans`).
    static func spans(of bytes: UnsafeBufferPointer<UInt8>) -> Spans {
        let n = bytes.count
        var start = 0
        if let scheme = firstScheme(bytes) {
            start = scheme
        } else if n >= 2, bytes[0] == slash, bytes[1] == slash {
            start = 2
        }
        var end = start
        while end < n, bytes[end] != slash, bytes[end] != question, bytes[end] != hash { end += 1 }
        var i = end
        while i > start {
            i -= 1
            if bytes[i] == at {
                start = i + 1
                break
            }
        }
        if start < end, bytes[start] == UInt8(ascii: "[") {
            if let close = (start..<end).first(where: { bytes[$0] == UInt8(ascii: "]") }) { end = close + 1 }
        } else if let colon = (start..<end).first(where: { bytes[$0] == UInt8(ascii: ":") }) {
            end = colon
        }
        var queryEnd = 0
        while queryEnd < n, bytes[queryEnd] != hash { queryEnd += 1 }
        var q = 0
        while q < queryEnd, bytes[q] != question { q += 1 }
        return Spans(host: start ..< end, query: (q < queryEnd ? q + 1 : queryEnd) ..< queryEnd)
    }

    private static let slash = UInt8(ascii: "/")
    private static let question = UInt8(ascii: "?")
    private static let hash = UInt8(ascii: "#")
    private static let at = UInt8(ascii: "@")

    /// The offset just after the first `://`, when the text has one.
    private static func firstScheme(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == UInt8(ascii: ":"), bytes[i + 1] == slash, bytes[i + 2] == slash { return i + 3 }
            i += 1
        }
        return nil
    }

    /// Lower-cases, drops one trailing dot and one leading `www.`.
    static func normalisedHost(_ raw: String) -> String {
        var raw = raw
        return raw.withUTF8 { normalisedHost($0) }
    }

    static func normalisedHost(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            // Non-ASCII: full Unicode lower-casing, as `String.lowercased()` defines it.
            var h = String(decoding: bytes, as: UTF8.self).lowercased()
            if h.hasSuffix(".") { h.removeLast() }
            if h.hasPrefix("www.") { h.removeFirst(4) }
            return h
        }
        var lower = Array(bytes)
        for i in lower.indices where lower[i] >= UInt8(ascii: "A") && lower[i] <= UInt8(ascii: "Z") { lower[i] += 32 }
        var slice = lower[...]
        if slice.last == UInt8(ascii: ".") { slice = slice.dropLast() }
        if slice.starts(with: "www.".utf8) { slice = slice.dropFirst(4) }
        return String(decoding: slice, as: UTF8.self)
    }

    /// Parses the query string (after the first `?`, before `#`), keeping the parameters
    /// attribution reads (`AttributionParameters.Name`): a long query string costs no
    /// allocations for the others.
    static func queryParameters(of text: String) -> AttributionParameters {
        var text = text
        return text.withUTF8 { bytes in parameters(ofQuery: UnsafeBufferPointer(rebasing: bytes[spans(of: bytes).query])) }
    }

    /// The parameters of a raw query (the bytes between `?` and `#`): `&`-separated pairs.
    static func parameters(ofQuery bytes: UnsafeBufferPointer<UInt8>) -> AttributionParameters {
        var result = AttributionParameters()
        let end = bytes.count
        var pairStart = 0
        while pairStart <= end {
            var pairEnd = pairStart
            while pairEnd < end, bytes[pairEnd] != UInt8(ascii: "&") { pairEnd += 1 }
            if pairEnd > pairStart {
                var eq = pairStart
                while eq < pairEnd, bytes[eq] != UInt8(ascii: "=") { eq += 1 }
                if let name = attributionName(UnsafeBufferPointer(rebasing: bytes[pairStart..<eq])), result[name] == nil {
                    let value = eq < pairEnd ? decode(UnsafeBufferPointer(rebasing: bytes[(eq + 1)..<pairEnd])) : ""
                    // An empty value counts as absent, so a later non-empty occurrence may win.
                    if !value.isEmpty { result[name] = value }
                }
            }
            pairStart = pairEnd + 1
        }
        return result
    }

    /// The attribution parameter a raw (still encoded) name denotes, or nil. Plain names
    /// are compared as bytes, without allocating; only an encoded one is decoded first.
    private static func attributionName(_ raw: UnsafeBufferPointer<UInt8>) -> AttributionParameters.Name? {
        if raw.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return AttributionParameters.Name(text: decode(raw))
        }
        for entry in AttributionParameters.Name.bytes where entry.utf8.count == raw.count && entry.utf8.elementsEqual(raw) {
            return entry.name
        }
        return nil
    }

    static func decode(_ s: Substring) -> String {
        var text = String(s)
        return text.withUTF8 { decode($0) }
    }

    /// Percent-decoding with `+` as a space. A `%` not followed by two hex digits is
    /// kept literally; invalid UTF-8 after decoding becomes U+FFFD.
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: utf8, as: UTF8.self)
        }
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
