import Testing
import TrailmarkEngine
import TrailmarkWire
@testable import TrailmarkServices

/// The per-batch attribution cache answers exactly what the classifier answers.
@Suite struct AttributionCacheTests {
    @Test func answersLikeTheClassifierOnRepeatsAndCollisions() {
        let urls: [String?] = [
            nil, "https://shop.example/?utm_source=news&utm_medium=email", "https://shop.example/?gclid=1",
            "https://shop.example/p/1", "https://x.io/?utm_source=caf\u{E9}",
            "https://x.io/?utm_source=cafe\u{301}",  // canonically equal to the one above, other bytes
        ] + (0 ..< 200).map { "https://x.io/p/\($0)?utm_source=s\($0 % 7)" }
        let referrers: [String?] = [nil, "https://www.google.com/", "https://t.co/x", "https://news.example/a"]
        var cache = AttributionCache(expected: 4)  // grows: about 200 distinct pairs
        var rng = SplitMix(seed: 4)  // TimeFormatTests.swift
        for _ in 0 ..< 5000 {
            let url = urls[Int(rng.next() % UInt64(urls.count))]
            let referrer = referrers[Int(rng.next() % UInt64(referrers.count))]
            #expect(cache.attribution(url: url, referrer: referrer) == AttributionClassifier.classify(url: url, referrer: referrer))
        }
    }

    @Test func canonicallyEqualURLsKeepTheirOwnBytes() {
        var cache = AttributionCache(expected: 2)
        let composed = cache.attribution(url: "https://x.io/?utm_source=caf\u{E9}", referrer: nil)
        let decomposed = cache.attribution(url: "https://x.io/?utm_source=cafe\u{301}", referrer: nil)
        #expect(Array(composed.source.utf8) == Array("caf\u{E9}".utf8))
        #expect(Array(decomposed.source.utf8) == Array("cafe\u{301}".utf8))
    }
}

extension AttributionCacheTests {
    /// Pages that differ only in their path share one classification per url host, query
    /// and referrer host, and each event still gets its own pair's attribution.
    @Test func classifiesOncePerHostQueryAndReferrerHost() {
        var cache = AttributionCache(expected: 8)
        let campaigns = ["?utm_source=news&utm_medium=email", "?gclid=7", "", "?utm_source=caf%C3%A9"]
        let referrers: [String?] = [nil, "https://www.google.com/q", "https://shop.example/"]
        for page in 0 ..< 300 {
            let url = "https://shop.example/p/\(page)" + campaigns[page % campaigns.count]
            let referrer = referrers[page % referrers.count]
            #expect(cache.attribution(url: url, referrer: referrer) == AttributionClassifier.classify(url: url, referrer: referrer))
        }
        #expect(cache.attributions.count == campaigns.count * referrers.count)
    }

    /// By dictionary references: each distinct pair's bytes are read once, and every event
    /// gets the classifier's answer for its own strings.
    @Test func referencePairsReadTheirBytesOnce() {
        let strings = ["https://shop.example/p/1?utm_source=a", "https://shop.example/p/2?utm_source=a", "https://x.io/?gclid=3",
                       "https://www.google.com/", "https://t.co/x", "https://shop.example/"]
        let storage = Array(strings.joined().utf8)
        let offsets = strings.reduce(into: [0]) { $0.append($0.last! + $1.utf8.count) }
        var cache = AttributionCache(expected: 2)  // grows
        var reads: [UInt64: Int] = [:]
        var rng = SplitMix(seed: 9)
        storage.withUnsafeBufferPointer { all in
            func bytes(_ ref: UInt32) -> UnsafeBufferPointer<UInt8>? {
                ref == 0 ? nil : UnsafeBufferPointer(rebasing: all[offsets[Int(ref - 1)] ..< offsets[Int(ref)]])
            }
            for _ in 0 ..< 3000 {
                let u = UInt32(rng.next() % UInt64(strings.count + 1)), r = UInt32(rng.next() % UInt64(strings.count + 1))
                let k = cache.index(urlRef: u, referrerRef: r) {
                    reads[UInt64(u) << 32 | UInt64(r), default: 0] += 1
                    return (bytes(u), bytes(r))
                }
                let url = u == 0 ? nil : strings[Int(u - 1)], referrer = r == 0 ? nil : strings[Int(r - 1)]
                #expect(cache.attributions[k] == AttributionClassifier.classify(url: url, referrer: referrer))
            }
        }
        #expect(reads.count == (strings.count + 1) * (strings.count + 1))
        #expect(reads.values.allSatisfy { $0 == 1 })
    }
}
