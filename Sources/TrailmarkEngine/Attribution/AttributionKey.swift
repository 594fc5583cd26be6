import TrailmarkWire

/// The bytes of a `(url, referrer)` pair that its attribution (SEMANTICS §6) depends on:
/// the url's raw host and raw query, and the referrer's raw host (`URLParts.Spans`).
///
/// `AttributionClassifier` computes an attribution from these bytes alone, so two pairs
/// with equal keys have equal attributions, and a cache keyed by them is exact. Pairs that
/// differ only in the path (`/p/1?utm_source=x` and `/p/2?utm_source=x`), the scheme, the
/// port, the user info or the fragment share a key: real traffic repeats few hosts and
/// campaigns over many pages.
///
/// Layout: `bytes` is the url's host, then its query, then the referrer's host;
/// `hostEnd` and `queryEnd` split them. A missing url gives an empty host and query, a
/// missing referrer an empty host (the classifier treats both alike).
public struct AttributionKey: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var hostEnd = 0
    public private(set) var queryEnd = 0

    public init() {}

    /// The key of `(url, referrer)`.
    public init(url: String?, referrer: String?) {
        Self.withUTF8(url: url, referrer: referrer) { set(url: $0, referrer: $1) }
    }

    /// Calls `body` with the UTF-8 bytes of `url` and `referrer` (nil stays nil).
    public static func withUTF8<R>(url: String?, referrer: String?, _ body: (UnsafeBufferPointer<UInt8>?, UnsafeBufferPointer<UInt8>?) -> R) -> R {
        func bytes<T>(_ s: String?, _ f: (UnsafeBufferPointer<UInt8>?) -> T) -> T {
            guard var s else { return f(nil) }
            return s.withUTF8 { f($0) }
        }
        return bytes(url) { u in bytes(referrer) { r in body(u, r) } }
    }

    /// The slices of a url's UTF-8 bytes that attribution reads: its raw host and raw
    /// query (`URLParts.Spans`).
    public static func urlParts(of url: UnsafeBufferPointer<UInt8>) -> (host: UnsafeBufferPointer<UInt8>, query: UnsafeBufferPointer<UInt8>) {
        let spans = URLParts.spans(of: url)
        return (UnsafeBufferPointer(rebasing: url[spans.host]), UnsafeBufferPointer(rebasing: url[spans.query]))
    }

    /// The slice of a referrer's UTF-8 bytes that attribution reads: its raw host.
    public static func referrerHost(of referrer: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: referrer[URLParts.spans(of: referrer).host])
    }

    /// Makes this the key of the pair with these UTF-8 bytes, keeping the buffer's capacity
    /// (a caller that keys many pairs allocates once).
    public mutating func set(url: UnsafeBufferPointer<UInt8>?, referrer: UnsafeBufferPointer<UInt8>?) {
        bytes.removeAll(keepingCapacity: true)
        if let url {
            let parts = Self.urlParts(of: url)
            bytes.append(contentsOf: parts.host)
            hostEnd = bytes.count
            bytes.append(contentsOf: parts.query)
        } else {
            hostEnd = 0
        }
        queryEnd = bytes.count
        if let referrer { bytes.append(contentsOf: Self.referrerHost(of: referrer)) }
    }

    /// A hash of the key with `seed` (`WordHash`: not for untrusted equality, only buckets).
    public func hash(seed: UInt64) -> UInt64 {
        bytes.withUnsafeBufferPointer { WordHash.hash($0, seed: seed) } ^ UInt64(hostEnd) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(queryEnd) << 32
    }

    /// The attribution of every pair with this key.
    public var attribution: Attribution {
        bytes.withUnsafeBufferPointer { all in
            AttributionClassifier.classify(
                urlHost: UnsafeBufferPointer(rebasing: all[0 ..< hostEnd]),
                urlQuery: UnsafeBufferPointer(rebasing: all[hostEnd ..< queryEnd]),
                referrerHost: UnsafeBufferPointer(rebasing: all[queryEnd...]))
        }
    }
}
