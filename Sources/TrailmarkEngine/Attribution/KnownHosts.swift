/// The known-host lists of SEMANTICS §6: search engines, social networks (facebook is one,
/// named `facebook`) and webmail clients. Subdomains count as their parent.
enum KnownHosts {
    /// What a known host is.
    enum Kind: Equatable {
        case search(String)
        case social(String)
        case webmail
    }

    /// Search engines named by their exact domain (any subdomain counts).
    private static let searchDomains: [(domain: String, name: String)] = [
        ("bing.com", "bing"), ("duckduckgo.com", "duckduckgo"), ("baidu.com", "baidu"), ("ecosia.org", "ecosia"),
    ]
    /// Search engines on any TLD (`google.*`, `yahoo.*`, `yandex.*`).
    private static let searchAnyTLD: [String] = ["google", "yahoo", "yandex"]
    /// Social networks by exact domain (any subdomain counts).
    private static let socialDomains: [(domain: String, name: String)] = [
        ("facebook.com", "facebook"),
        ("instagram.com", "instagram"),
        ("twitter.com", "twitter"), ("x.com", "twitter"), ("t.co", "twitter"),
        ("linkedin.com", "linkedin"), ("lnkd.in", "linkedin"),
        ("reddit.com", "reddit"), ("youtube.com", "youtube"), ("tiktok.com", "tiktok"),
    ]
    /// Social networks on any TLD (`pinterest.*`).
    private static let socialAnyTLD: [String] = ["pinterest"]
    private static let anyTLDNames = searchAnyTLD + socialAnyTLD
    /// Webmail clients (any subdomain counts); all named `email`.
    private static let webmailDomains: [String] = [
        "mail.google.com", "outlook.live.com", "outlook.office.com", "mail.yahoo.com",
    ]

    /// Names of the social networks (facebook included), for rule 6's medium default.
    static let socialNames: Set<String> = ["facebook", "instagram", "twitter", "linkedin", "reddit", "youtube", "tiktok", "pinterest"]
    /// Names of the search engines, for rule 6's medium default.
    static let searchNames: Set<String> = ["google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia"]

    /// Every exact domain of the three lists with what it is. No domain of one list is a
    /// label-boundary suffix of another's, so at most one matches a host and the lists'
    /// order (webmail, then social, then search) never has to break a tie.
    private static let exactDomains: [(domain: [UInt8], kind: Kind)] =
        webmailDomains.map { (Array($0.utf8), Kind.webmail) }
        + socialDomains.map { (Array($0.domain.utf8), Kind.social($0.name)) }
        + searchDomains.map { (Array($0.domain.utf8), Kind.search($0.name)) }
    private static let anyTLDBytes: [(name: [UInt8], kind: Kind)] =
        searchAnyTLD.map { (Array($0.utf8), Kind.search($0)) } + socialAnyTLD.map { (Array($0.utf8), Kind.social($0)) }

    /// Classifies a normalised host (lower-case, no port, no leading `www.`). A webmail
    /// host is never a search engine (`mail.google.com` is webmail).
    ///
    /// Ingest calls this for every event with a referrer: it compares UTF-8 bytes in place
    /// and allocates nothing.
    static func classify(_ host: String) -> Kind? {
        guard !host.isEmpty else { return nil }
        var copy = host
        return copy.withUTF8 { h -> Kind? in
            for entry in exactDomains where endsWithDomain(h, entry.domain) { return entry.kind }
            // Label lengths below count bytes; a non-ASCII host counts characters instead.
            guard h.allSatisfy({ $0 < 0x80 }) else { return anyTLDKind(characters: host) }
            for entry in anyTLDBytes where hasAnyTLDLabel(h, entry.name) { return entry.kind }
            return nil
        }
    }

    /// The name a known host is reported under (`email` for webmail), or nil.
    static func name(of host: String) -> String? {
        switch classify(host) {
        case .search(let n), .social(let n): n
        case .webmail: "email"
        case nil: nil
        }
    }

    /// The any-TLD rule on `Character` labels (non-ASCII hosts; allocates).
    private static func anyTLDKind(characters host: String) -> Kind? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for (name, kind) in anyTLDBytes.map({ (String(decoding: $0.name, as: UTF8.self), $0.kind) }) {
            for (i, label) in labels.enumerated() where label == name {
                let suffix = labels[(i + 1)...]
                if suffix.count == 1, let tld = suffix.first, !tld.isEmpty { return kind }
                if suffix.count == 2 {
                    let second = suffix[suffix.startIndex], country = suffix[suffix.startIndex + 1]
                    if !second.isEmpty && second.count <= 3 && country.count == 2 { return kind }
                }
            }
        }
        return nil
    }

    /// `host` is `domain` or ends with `.domain`; compared as UTF-8 bytes, no allocation.
    static func isDomainOrSubdomain(_ host: String, of domain: String) -> Bool {
        var h = host, d = domain
        return h.withUTF8 { hb in d.withUTF8 { db in endsWithDomain(hb, db) } }
    }

    private static func endsWithDomain(_ h: UnsafeBufferPointer<UInt8>, _ d: [UInt8]) -> Bool {
        d.withUnsafeBufferPointer { endsWithDomain(h, $0) }
    }

    private static func endsWithDomain(_ h: UnsafeBufferPointer<UInt8>, _ d: UnsafeBufferPointer<UInt8>) -> Bool {
        guard h.count >= d.count else { return false }
        let tail = h.count - d.count
        if tail > 0 && h[tail - 1] != UInt8(ascii: ".") { return false }
        for i in 0..<d.count where h[tail + i] != d[i] { return false }
        return true
    }

    /// True when some label equals `name` and what follows it is a top-level domain:
    /// one label (`google.de`) or a two-letter country code under a second level of at
    /// most three characters (`google.co.uk`, `google.com.br`). `google.example.com` is
    /// not `google.*`. Empty labels never count as a TLD.
    private static func hasAnyTLDLabel(_ h: UnsafeBufferPointer<UInt8>, _ name: [UInt8]) -> Bool {
        let dot = UInt8(ascii: ".")
        var start = 0
        while start + name.count < h.count {
            // The label starting at `start` ends at the next dot (or the end).
            var end = start
            while end < h.count && h[end] != dot { end += 1 }
            if end - start == name.count && end < h.count && (0..<name.count).allSatisfy({ h[start + $0] == name[$0] }) {
                // The labels after it: how many (up to three) and the first two lengths.
                var count = 0, first = 0, second = 0
                var labelStart = end + 1, i = end + 1
                while i <= h.count && count <= 2 {
                    if i == h.count || h[i] == dot {
                        if count == 0 { first = i - labelStart } else if count == 1 { second = i - labelStart }
                        count += 1
                        labelStart = i + 1
                    }
                    i += 1
                }
                if count == 1 && first > 0 { return true }
                if count == 2 && first > 0 && first <= 3 && second == 2 { return true }
            }
            start = end + 1
        }
        return false
    }
}
