import Testing
import TrailmarkEngine
import TrailmarkWire
@testable import TrailmarkServices

/// The per-batch attribution cache answers exactly what the classifier answers, by strings
/// (the ordinary path) and by dictionary references (the binary fast path).
@Suite struct AttributionCacheTests {
    static let urls: [String?] = [
        nil, "", "https://shop.example/?utm_source=news&utm_medium=email", "https://shop.example/?gclid=1",
        "https://shop.example/p/1", "https://x.io/?utm_source=caf\u{E9}",
        "https://x.io/?utm_source=cafe\u{301}",  // canonically equal to the one above, other bytes
        "https://ab/?c", "https://a/?bc",  // same bytes of host and query, split differently
    ] + (0 ..< 200).map { "https://x.io/p/\($0)?utm_source=s\($0 % 7)" }
    static let referrers: [String?] = [nil, "", "https://www.google.com/", "https://t.co/x", "https://news.example/a", "https://x.io/"]

    @Test func answersLikeTheClassifierOnRepeatsAndCollisions() {
        var cache = AttributionCache()
        var rng = SplitMix(seed: 4)  // TimeFormatTests.swift
        for _ in 0 ..< 5000 {
            let url = Self.urls[Int(rng.next() % UInt64(Self.urls.count))]
            let referrer = Self.referrers[Int(rng.next() % UInt64(Self.referrers.count))]
            #expect(cache.attribution(url: url, referrer: referrer) == AttributionClassifier.classify(url: url, referrer: referrer))
        }
    }

    @Test func canonicallyEqualURLsKeepTheirOwnBytes() {
        var cache = AttributionCache()
        let composed = cache.attribution(url: "https://x.io/?utm_source=caf\u{E9}", referrer: nil)
        let decomposed = cache.attribution(url: "https://x.io/?utm_source=cafe\u{301}", referrer: nil)
        #expect(Array(composed.source.utf8) == Array("caf\u{E9}".utf8))
        #expect(Array(decomposed.source.utf8) == Array("cafe\u{301}".utf8))
    }

    /// Pages that differ only in their path share one classification per url host, query
    /// and referrer host, and each event still gets its own pair's attribution.
    @Test func classifiesOncePerHostQueryAndReferrerHost() {
        var cache = AttributionCache()
        let campaigns = ["?utm_source=news&utm_medium=email", "?gclid=7", "", "?utm_source=caf%C3%A9"]
        let referrers: [String?] = [nil, "https://www.google.com/q", "https://shop.example/"]
        for page in 0 ..< 300 {
            let url = "https://shop.example/p/\(page)" + campaigns[page % campaigns.count]
            let referrer = referrers[page % referrers.count]
            #expect(cache.attribution(url: url, referrer: referrer) == AttributionClassifier.classify(url: url, referrer: referrer))
        }
        #expect(cache.attributions.count == campaigns.count * referrers.count)
    }

    /// By dictionary references of a real scanned batch: every event gets the classifier's
    /// answer for its own strings, and each distinct attribution is made once.
    @Test func byReferencesOfAScannedBatch() throws {
        var rng = SplitMix(seed: 9)
        // The fast path declines empty optional strings (they are normalised), so none here.
        let urls = Self.urls.filter { $0 != "" }, referrers = Self.referrers.filter { $0 != "" }
        let events = (0 ..< 1000).map { i in
            Event(event: "e", anonymousID: "a", timestamp: 1_767_225_000_000_000 + Int64(i),
                  url: urls[Int(rng.next() % UInt64(urls.count))], referrer: referrers[Int(rng.next() % UInt64(referrers.count))])
        }
        let scanned = try #require(ScannedEventBatch.scan(EventBatch(events: events).encoded(), limits: .default))
        var cache = AttributionCache()
        let indices = scanned.withEntries { entries in
            (0 ..< scanned.count).map { cache.index(urlRef: scanned.urlRefs[$0], referrerRef: scanned.referrerRefs[$0], entries: entries) }
        }
        for (i, event) in events.enumerated() {
            #expect(cache.attributions[indices[i]] == AttributionClassifier.classify(url: event.url, referrer: event.referrer), "event \(i)")
        }
        var keys: [String: Attribution] = [:]
        for event in events {
            let key = AttributionKey(url: event.url, referrer: event.referrer)
            keys["\(key.bytes)/\(key.hostEnd)/\(key.queryEnd)"] = key.attribution
        }
        #expect(cache.attributions.count == keys.count)
    }
}
