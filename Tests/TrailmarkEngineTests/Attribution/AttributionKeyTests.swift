import Testing
@testable import TrailmarkEngine

/// `AttributionKey` keeps exactly the bytes attribution reads, so a cache keyed by it is
/// exact and shared by pages that differ only in their path.
@Suite struct AttributionKeyTests {
    private func parts(_ key: AttributionKey) -> (host: String, query: String, referrerHost: String) {
        let b = key.bytes
        return (String(decoding: b[0 ..< key.hostEnd], as: UTF8.self), String(decoding: b[key.hostEnd ..< key.queryEnd], as: UTF8.self),
                String(decoding: b[key.queryEnd...], as: UTF8.self))
    }

    @Test func keepsTheRawHostQueryAndReferrerHost() {
        let cases: [(url: String?, referrer: String?, host: String, query: String, referrerHost: String)] = [
            ("https://user@Shop.Example.com:8443/p/1?utm_source=x&a=1#frag?no", "https://www.Google.com/search?q=1", "Shop.Example.com", "utm_source=x&a=1", "www.Google.com"),
            ("shop.example.com/p?q=1", nil, "shop.example.com", "q=1", ""),
            ("//cdn.example.com/x", "?only-a-query", "cdn.example.com", "", ""),
            ("http://[::1]:80/?gclid=1", "http://a@b.example.org./", "[::1]", "gclid=1", "b.example.org."),
            ("/only/a/path#x?y", "", "", "", ""),
            // A `://` later in the text is where the host starts (the lenient reading kept from before).
            ("shop.example.com/r?to=https://other.example/x", nil, "other.example", "to=https://other.example/x", ""),
            (nil, nil, "", "", ""),
        ]
        for c in cases {
            let p = parts(AttributionKey(url: c.url, referrer: c.referrer))
            #expect(p.host == c.host, "\(c.url ?? "nil")")
            #expect(p.query == c.query, "\(c.url ?? "nil")")
            #expect(p.referrerHost == c.referrerHost, "\(c.referrer ?? "nil")")
        }
    }

    @Test func pathsSchemesPortsAndFragmentsShareAKeyAndAnAttribution() {
        let variants = [
            "https://shop.example.com/p/1?utm_source=newsletter&utm_medium=email",
            "http://shop.example.com/checkout/42?utm_source=newsletter&utm_medium=email",
            "https://me@shop.example.com:8443/?utm_source=newsletter&utm_medium=email#top",
        ]
        let keys = variants.map { AttributionKey(url: $0, referrer: "https://t.co/abc") }
        for key in keys.dropFirst() {
            #expect(key.bytes == keys[0].bytes && key.hostEnd == keys[0].hostEnd && key.queryEnd == keys[0].queryEnd)
        }
        let expected = AttributionClassifier.classify(url: variants[0], referrer: "https://t.co/abc")
        #expect(expected.source == "newsletter" && expected.medium == "email")
        for url in variants { #expect(AttributionClassifier.classify(url: url, referrer: "https://t.co/abc") == expected) }
    }

    @Test func theSplitPointsAreInTheKey() {
        // Same concatenated bytes, split differently: different keys.
        let a = AttributionKey(url: "https://ab/?c", referrer: nil)
        let b = AttributionKey(url: "https://a/?bc", referrer: nil)
        #expect(a.bytes == b.bytes)
        #expect(a.hostEnd != b.hostEnd)
        #expect(a.hash(seed: 1) != b.hash(seed: 1))
    }

    @Test func setReusesTheKeyForAnotherPair() {
        var key = AttributionKey(url: "https://a.example/?utm_source=one", referrer: "https://b.example/")
        let url = Array("https://c.example/x".utf8)
        url.withUnsafeBufferPointer { key.set(url: $0, referrer: nil) }
        #expect(parts(key) == ("c.example", "", ""))
        #expect(key.attribution == AttributionClassifier.classify(url: "https://c.example/x", referrer: nil))
    }
}
