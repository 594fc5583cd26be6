import Foundation
import Testing
import TrailmarkWire
@testable import TrailmarkEngine

/// One attribution case: inputs and the expected columns (SEMANTICS §6).
struct AttributionCase: CustomTestStringConvertible, Sendable {
    var url: String?
    var referrer: String?
    var source: String
    var medium: String
    var rule: String
    var confidence: Attribution.Confidence
    var campaign: String? = nil

    var testDescription: String { "url=\(url ?? "nil") ref=\(referrer ?? "nil") -> \(source)/\(medium) \(rule)" }
}

private func c(
    _ url: String?, _ referrer: String?, _ source: String, _ medium: String, _ rule: String,
    _ confidence: Attribution.Confidence, campaign: String? = nil
) -> AttributionCase {
    AttributionCase(url: url, referrer: referrer, source: source, medium: medium, rule: rule, confidence: confidence, campaign: campaign)
}

private let site = "https://shop.example.com/landing"

/// Every rule of the table, in order, plus the precedence between neighbours.
let ruleCases: [AttributionCase] = [
    // Rule 1: each click id and its network; the list order decides between several.
    c(site + "?gclid=abc", nil, "google", "paid", "click_id", .high),
    c(site + "?gbraid=abc", nil, "google", "paid", "click_id", .high),
    c(site + "?wbraid=abc", nil, "google", "paid", "click_id", .high),
    c(site + "?msclkid=abc", nil, "bing", "paid", "click_id", .high),
    c(site + "?ttclid=abc", nil, "tiktok", "paid", "click_id", .high),
    c(site + "?li_fat_id=abc", nil, "linkedin", "paid", "click_id", .high),
    c(site + "?ttclid=1&msclkid=2", nil, "bing", "paid", "click_id", .high),
    c(site + "?li_fat_id=1&wbraid=2", nil, "google", "paid", "click_id", .high),
    c(site + "?gclid=1&fbclid=2&utm_source=facebook", "https://l.facebook.com/", "google", "paid", "click_id", .high),
    // Rule 2: fbclid through the link shim.
    c(site + "?fbclid=x", "https://l.facebook.com/l.php?u=1", "facebook", "paid", "fbclid_facebook_link", .high),
    c(site + "?fbclid=x", "https://lm.facebook.com/", "facebook", "paid", "fbclid_facebook_link", .high),
    c(site + "?fbclid=x&utm_source=instagram", "https://l.facebook.com/", "facebook", "paid", "fbclid_facebook_link", .high),
    // Rule 3: fbclid with a Meta utm_source (after normalisation).
    c(site + "?fbclid=x&utm_source=instagram", nil, "instagram", "paid", "fbclid_utm", .high),
    c(site + "?fbclid=x&utm_source=ig", nil, "instagram", "paid", "fbclid_utm", .high),
    c(site + "?fbclid=x&utm_source=FB", nil, "facebook", "paid", "fbclid_utm", .high),
    c(site + "?fbclid=x&utm_source=meta", nil, "meta", "paid", "fbclid_utm", .high),
    c(site + "?fbclid=x&utm_source=Facebook&utm_medium=social", "https://facebook.com/", "facebook", "paid", "fbclid_utm", .high),
    // Rule 4: paid media.
    c(site + "?utm_source=google&utm_medium=cpc", nil, "google", "paid", "utm_paid", .high),
    c(site + "?utm_source=Bing&utm_medium=PPC", nil, "bing", "paid", "utm_paid", .high),
    c(site + "?utm_source=x&utm_medium=paid", nil, "x", "paid", "utm_paid", .high),
    c(site + "?utm_source=g&utm_medium=paidsearch", nil, "g", "paid", "utm_paid", .high),
    c(site + "?utm_source=pin&utm_medium=paid_social", nil, "pin", "paid", "utm_paid", .high),
    c(site + "?utm_source=pin&utm_medium=paidsocial", nil, "pin", "paid", "utm_paid", .high),
    c(site + "?utm_source=net&utm_medium=cpm", nil, "net", "paid", "utm_paid", .high),
    c(site + "?utm_source=net&utm_medium=Display", nil, "net", "paid", "utm_paid", .high),
    c(site + "?utm_medium=cpc", "https://www.reddit.com/r/x", "reddit", "paid", "utm_paid", .high),
    c(site + "?utm_medium=cpc", nil, "unknown", "paid", "utm_paid", .high),
    c(site + "?utm_medium=cpc", "https://partner.io/a", "partner.io", "paid", "utm_paid", .high),
    c(site + "?utm_medium=cpc", "https://shop.example.com/other", "internal", "paid", "utm_paid", .high),
    c(site + "?utm_source=tiktok&utm_medium=cpc&fbclid=1", nil, "tiktok", "paid", "utm_paid", .high),
    // Rule 5: fbclid alone.
    c(site + "?fbclid=x", nil, "facebook", "paid", "fbclid", .medium),
    c(site + "?fbclid=x", "https://facebook.com/", "facebook", "paid", "fbclid", .medium),
    c(site + "?fbclid=x&utm_source=newsletter", nil, "facebook", "paid", "fbclid", .medium),
    // Rule 6: utm.
    c(site + "?utm_source=newsletter&utm_medium=email", nil, "newsletter", "email", "utm", .high),
    c(site + "?utm_source=facebook", nil, "facebook", "social", "utm", .high),
    c(site + "?utm_source=google", nil, "google", "organic", "utm", .high),
    c(site + "?utm_source=partner", "https://www.google.com/", "partner", "referral", "utm", .high),
    c(site + "?utm_medium=social", "https://news.ycombinator.com/", "news.ycombinator.com", "social", "utm", .high),
    c(site + "?utm_medium=banner", nil, "unknown", "banner", "utm", .high),
    c(site + "?utm_medium=Banner", "https://t.co/abc", "twitter", "banner", "utm", .high),
    // Rule 7: facebook referrers.
    c(site, "https://www.facebook.com/", "facebook", "social", "facebook_referrer", .medium),
    c(site, "https://m.facebook.com/story", "facebook", "social", "facebook_referrer", .medium),
    c(site, "https://l.facebook.com/l.php", "facebook", "social", "facebook_referrer", .medium),
    // Rule 8: social networks.
    c(site, "https://instagram.com/", "instagram", "social", "social_referrer", .medium),
    c(site, "https://twitter.com/", "twitter", "social", "social_referrer", .medium),
    c(site, "https://x.com/status/1", "twitter", "social", "social_referrer", .medium),
    c(site, "https://t.co/xyz", "twitter", "social", "social_referrer", .medium),
    c(site, "https://www.linkedin.com/feed", "linkedin", "social", "social_referrer", .medium),
    c(site, "https://lnkd.in/abc", "linkedin", "social", "social_referrer", .medium),
    c(site, "https://old.reddit.com/", "reddit", "social", "social_referrer", .medium),
    c(site, "https://m.youtube.com/watch", "youtube", "social", "social_referrer", .medium),
    c(site, "https://www.tiktok.com/@a", "tiktok", "social", "social_referrer", .medium),
    c(site, "https://pinterest.com/pin/1", "pinterest", "social", "social_referrer", .medium),
    c(site, "https://www.pinterest.co.uk/pin/1", "pinterest", "social", "social_referrer", .medium),
    c(site, "https://pinterest.fr/", "pinterest", "social", "social_referrer", .medium),
    // Rule 9: search engines.
    c(site, "https://www.google.com/search?q=x", "google", "organic", "search_referrer", .medium),
    c(site, "https://google.de/", "google", "organic", "search_referrer", .medium),
    c(site, "https://www.google.co.uk/", "google", "organic", "search_referrer", .medium),
    c(site, "https://www.google.com.br/", "google", "organic", "search_referrer", .medium),
    c(site, "https://news.google.com/", "google", "organic", "search_referrer", .medium),
    c(site, "https://www.bing.com/search", "bing", "organic", "search_referrer", .medium),
    c(site, "https://duckduckgo.com/", "duckduckgo", "organic", "search_referrer", .medium),
    c(site, "https://search.yahoo.com/", "yahoo", "organic", "search_referrer", .medium),
    c(site, "https://yahoo.co.jp/", "yahoo", "organic", "search_referrer", .medium),
    c(site, "https://www.baidu.com/s", "baidu", "organic", "search_referrer", .medium),
    c(site, "https://yandex.ru/search", "yandex", "organic", "search_referrer", .medium),
    c(site, "https://www.ecosia.org/search", "ecosia", "organic", "search_referrer", .medium),
    // Rule 10: webmail (never a search engine).
    c(site, "https://mail.google.com/mail/u/0", "email", "email", "email_referrer", .medium),
    c(site, "https://outlook.live.com/", "email", "email", "email_referrer", .medium),
    c(site, "https://outlook.office.com/mail", "email", "email", "email_referrer", .medium),
    c(site, "https://mail.yahoo.com/d/folders", "email", "email", "email_referrer", .medium),
    // Rule 11: internal.
    c(site, "https://shop.example.com/cart", "internal", "direct", "internal", .high),
    c("https://WWW.Shop.Example.com/x", "http://shop.example.com:8080/y", "internal", "direct", "internal", .high),
    // Rule 12: direct.
    c(site, nil, "direct", "direct", "direct", .high),
    c(site, "", "direct", "direct", "direct", .high),
    c(nil, nil, "direct", "direct", "direct", .high),
    // Rule 13: referral.
    c(site, "https://blog.partner.io/post", "blog.partner.io", "referral", "referral", .low),
    c(site, "https://www.Partner.IO:443/post", "partner.io", "referral", "referral", .low),
    c(nil, "https://shop.example.com/", "shop.example.com", "referral", "referral", .low),
    c(site, "https://google.example.com/", "google.example.com", "referral", "referral", .low),
    c(site, "https://notfacebook.com/", "notfacebook.com", "referral", "referral", .low),
]

/// Normalisations of utm_source / utm_medium and the fine print.
let normalisationCases: [AttributionCase] = [
    c(site + "?utm_source=fb&utm_medium=x", nil, "facebook", "x", "utm", .high),
    c(site + "?utm_source=facebook.com&utm_medium=x", nil, "facebook", "x", "utm", .high),
    c(site + "?utm_source=m.facebook.com&utm_medium=x", nil, "facebook", "x", "utm", .high),
    c(site + "?utm_source=l.facebook.com&utm_medium=x", nil, "facebook", "x", "utm", .high),
    c(site + "?utm_source=IG&utm_medium=x", nil, "instagram", "x", "utm", .high),
    c(site + "?utm_source=x.com&utm_medium=x", nil, "twitter", "x", "utm", .high),
    c(site + "?utm_source=t.co&utm_medium=x", nil, "twitter", "x", "utm", .high),
    c(site + "?utm_source=lnkd.in&utm_medium=x", nil, "linkedin", "x", "utm", .high),
    c(site + "?utm_source=reddit.com", nil, "reddit", "social", "utm", .high),
    c(site + "?utm_source=www.reddit.com", nil, "reddit", "social", "utm", .high),
    c(site + "?utm_source=mail.google.com", nil, "email", "referral", "utm", .high),
    c(site + "?utm_source=www.google.com", nil, "google", "organic", "utm", .high),
    c(site + "?utm_source=www.partner.io", nil, "www.partner.io", "referral", "utm", .high),
    c(site + "?utm_source=reddit.com:443", nil, "reddit.com:443", "referral", "utm", .high),
    c(site + "?utm_source=https://reddit.com", nil, "https://reddit.com", "referral", "utm", .high),
    c(site + "?utm_source=x&utm_medium=Social", nil, "x", "social", "utm", .high),
    c(site + "?utm_source=x&utm_medium=social-network", nil, "x", "social", "utm", .high),
    c(site + "?utm_source=x&utm_medium=SM", nil, "x", "social", "utm", .high),
    c(site + "?utm_source=x&utm_medium=e-mail", nil, "x", "email", "utm", .high),
    c(site + "?utm_source=x&utm_medium=Newsletter", nil, "x", "email", "utm", .high),
    c(site + "?utm_source=x&utm_medium=EMAIL", nil, "x", "email", "utm", .high),
    c(site + "?utm_source=MyPartner&utm_medium=Affiliate", nil, "mypartner", "affiliate", "utm", .high),
    // Fine print: decoding, empty values, repeats, case-sensitive names, `+`.
    c(site + "?utm_source=my%20site&utm_medium=a+b", nil, "my site", "a b", "utm", .high),
    c(site + "?utm_source=&utm_medium=", nil, "direct", "direct", "direct", .high),
    c(site + "?gclid=", nil, "direct", "direct", "direct", .high),
    c(site + "?utm_source=first&utm_source=second", nil, "first", "referral", "utm", .high),
    c(site + "?utm_source=&utm_source=second", nil, "second", "referral", "utm", .high),
    c(site + "?UTM_SOURCE=google", nil, "direct", "direct", "direct", .high),
    c(site + "?GCLID=1", nil, "direct", "direct", "direct", .high),
    c(site + "?utm_source=google#utm_medium=cpc", nil, "google", "organic", "utm", .high),
    c(site + "#x?gclid=1", nil, "direct", "direct", "direct", .high),
    c(site + "?utm_source=a%zz", nil, "a%zz", "referral", "utm", .high),
    c(site + "?utm_source=Google&utm_campaign=Spring+Sale", nil, "google", "organic", "utm", .high, campaign: "Spring Sale"),
    c(site + "?utm_campaign=Launch", nil, "direct", "direct", "direct", .high, campaign: "Launch"),
    c(site + "?utm_campaign=Q1&gclid=9", nil, "google", "paid", "click_id", .high, campaign: "Q1"),
    c(site, "https:///nohost", "direct", "direct", "direct", .high),
    c(site, "HTTPS://WWW.GOOGLE.COM/", "google", "organic", "search_referrer", .medium),
    c(site, "https://user:pw@www.bing.com:8443/x", "bing", "organic", "search_referrer", .medium),
    c(site, "www.reddit.com/r/x", "reddit", "social", "social_referrer", .medium),
    c(site, "android-app://com.google.android.gm/", "com.google.android.gm", "referral", "referral", .low),
]

@Suite("Attribution (SEMANTICS §6)")
struct AttributionClassifierTests {
    @Test("every rule of the table", arguments: ruleCases)
    func rules(_ x: AttributionCase) {
        check(x)
    }

    @Test("normalisations and fine print", arguments: normalisationCases)
    func normalisations(_ x: AttributionCase) {
        check(x)
    }

    private func check(_ x: AttributionCase) {
        let a = AttributionClassifier.classify(url: x.url, referrer: x.referrer)
        #expect(a.source == x.source)
        #expect(a.medium == x.medium)
        #expect(a.rule == x.rule)
        #expect(a.confidence == x.confidence)
        #expect(a.campaign == x.campaign)
    }

    @Test("known-host lists, subdomains and any-TLD names")
    func knownHosts() {
        let expected: [(String, KnownHosts.Kind?)] = [
            ("google.com", .search("google")), ("google.fr", .search("google")), ("images.google.com.au", .search("google")),
            ("bing.com", .search("bing")), ("cn.bing.com", .search("bing")), ("duckduckgo.com", .search("duckduckgo")),
            ("yahoo.com", .search("yahoo")), ("uk.search.yahoo.com", .search("yahoo")), ("baidu.com", .search("baidu")),
            ("yandex.com.tr", .search("yandex")), ("ecosia.org", .search("ecosia")),
            ("instagram.com", .social("instagram")), ("twitter.com", .social("twitter")), ("x.com", .social("twitter")),
            ("t.co", .social("twitter")), ("linkedin.com", .social("linkedin")), ("lnkd.in", .social("linkedin")),
            ("reddit.com", .social("reddit")), ("youtube.com", .social("youtube")), ("tiktok.com", .social("tiktok")),
            ("pinterest.de", .social("pinterest")), ("facebook.com", .social("facebook")), ("business.facebook.com", .social("facebook")),
            ("mail.google.com", .webmail), ("outlook.live.com", .webmail), ("outlook.office.com", .webmail), ("mail.yahoo.com", .webmail),
            ("eu.mail.yahoo.com", .webmail),
            ("example.com", nil), ("box.com", nil), ("googlex.com", nil), ("google.example.com", nil), ("notx.com", nil), ("", nil),
        ]
        for (host, kind) in expected {
            #expect(KnownHosts.classify(host) == kind, "\(host)")
        }
    }

    @Test("host extraction drops scheme, user info, port, trailing dot and www.")
    func hosts() {
        #expect(URLParts.host(of: "https://www.Example.COM:8080/a?b#c") == "example.com")
        #expect(URLParts.host(of: "//cdn.example.com/x") == "cdn.example.com")
        #expect(URLParts.host(of: "http://a@b.example.org./") == "b.example.org")
        #expect(URLParts.host(of: "http://[::1]:80/") == "[::1]")
        #expect(URLParts.host(of: "") == "")
        #expect(URLParts.host(of: "/only/a/path?x=1") == "")
    }

    @Test("every attribution parameter is parsed into its own slot, plain or percent-encoded")
    func parameterSlots() {
        for name in AttributionParameters.Name.allCases {
            let plain = URLParts.queryParameters(of: "https://x.io/?a=1&\(name.text)=v-\(name.rawValue)&\(name.text)=later")
            let encoded = URLParts.queryParameters(of: "https://x.io/?\(name.text.replacingOccurrences(of: "_", with: "%5F"))=e+\(name.rawValue)")
            for other in AttributionParameters.Name.allCases {
                #expect(plain[other] == (other == name ? "v-\(name.rawValue)" : nil), "\(name.text) → \(other.text)")
                #expect(encoded[other] == (other == name ? "e \(name.rawValue)" : nil), "\(name.text) → \(other.text)")
            }
        }
        #expect(URLParts.queryParameters(of: "https://x.io/?utm_source=&utm_source=x&UTM_SOURCE=y")[.utmSource] == "x")
    }

    @Test("a server-side event with neither url nor referrer is direct/direct")
    func serverSide() {
        let a = AttributionClassifier.classify(url: nil, referrer: nil)
        #expect(a == Attribution(source: "direct", medium: "direct", campaign: nil, rule: "direct", confidence: .high))
    }
}
