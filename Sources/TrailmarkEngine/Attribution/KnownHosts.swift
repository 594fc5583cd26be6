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

    /// Classifies a normalised host (lower-case, no port, no leading `www.`). A webmail
    /// host is never a search engine (`mail.google.com` is webmail).
    static func classify(_ host: String) -> Kind? {
        guard !host.isEmpty else { return nil }
        for d in webmailDomains where isDomainOrSubdomain(host, of: d) { return .webmail }
        for s in socialDomains where isDomainOrSubdomain(host, of: s.domain) { return .social(s.name) }
        for s in searchDomains where isDomainOrSubdomain(host, of: s.domain) { return .search(s.name) }
        // `google.*`-style names need the labels; most hosts contain none of the names.
        guard Self.anyTLDNames.contains(where: { host.utf8.count >= $0.utf8.count && host.contains($0) }) else { return nil }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for name in searchAnyTLD where hasAnyTLDLabel(labels, name) { return .search(name) }
        for name in socialAnyTLD where hasAnyTLDLabel(labels, name) { return .social(name) }
        return nil
    }

    /// The name a known host is reported under (`email` for webmail), or nil.
    static func name(of host: String) -> String? {
        switch classify(host) {
        case .search(let n), .social(let n): n
        case .webmail: "email"
        case nil: nil
        }
    }

    /// `host` is `domain` or ends with `.domain`; compared as UTF-8 bytes, no allocation.
    static func isDomainOrSubdomain(_ host: String, of domain: String) -> Bool {
        let h = host.utf8
        let d = domain.utf8
        guard h.count >= d.count else { return false }
        let tail = h.index(h.endIndex, offsetBy: -d.count)
        guard h[tail...].elementsEqual(d) else { return false }
        return tail == h.startIndex || h[h.index(before: tail)] == UInt8(ascii: ".")
    }

    /// True when some label equals `name` and what follows it is a top-level domain:
    /// one label (`google.de`) or a two-letter country code under a short second level
    /// (`google.co.uk`, `google.com.br`). `google.example.com` is not `google.*`.
    static func hasAnyTLDLabel(_ labels: [String], _ name: String) -> Bool {
        for (i, label) in labels.enumerated() where label == name {
            let suffix = labels[(i + 1)...]
            if suffix.count == 1, let tld = suffix.first, !tld.isEmpty { return true }
            if suffix.count == 2 {
                let second = suffix[suffix.startIndex]
                let country = suffix[suffix.startIndex + 1]
                if !second.isEmpty && second.count <= 3 && country.count == 2 { return true }
            }
        }
        return false
    }
}
