import TrailmarkEngine
import TrailmarkWire

/// Attributions of one batch (SEMANTICS §6), each classified once per distinct pair of
/// *url part* (the url's raw host and query) and *referrer host*: the only bytes
/// attribution reads (`AttributionKey`), so pages that differ only in their path share one
/// classification.
///
/// Three small tables: the distinct url parts, the distinct referrer hosts (both
/// `ByteKeyTable`), and the pairs of their indices (`IndexPairTable`, → index in
/// `attributions`). By dictionary references (the binary fast path) it also remembers each
/// reference's url part and referrer host, so an event whose strings were seen before in
/// the batch reads no bytes at all.
///
/// Invariants: a url part entry is the host's length (4 bytes, little-endian), the host,
/// then the query; an absent url or referrer is the empty one (the classifier treats both
/// alike); `urlPartOfRef` / `referrerHostOfRef` are empty or one slot per reference
/// (0 = absent, k + 1 = dictionary entry k), -1 until seen.
struct AttributionCache {
    private var urlParts = ByteKeyTable()
    private var referrerHosts = ByteKeyTable()
    private var pairs = IndexPairTable()
    private var scratch: [UInt8] = []
    private var urlPartOfRef: [Int32] = []
    private var referrerHostOfRef: [Int32] = []
    /// The distinct attributions, in the order of their first event.
    private(set) var attributions: [Attribution] = []

    init() {}

    /// The attribution of `(url, referrer)`.
    mutating func attribution(url: String?, referrer: String?) -> Attribution {
        attributions[AttributionKey.withUTF8(url: url, referrer: referrer) { index(url: $0, referrer: $1) }]
    }

    /// The index in `attributions` of the attribution of the pair with these UTF-8 bytes.
    mutating func index(url: UnsafeBufferPointer<UInt8>?, referrer: UnsafeBufferPointer<UInt8>?) -> Int {
        index(urlPart: urlPart(url), referrerHost: referrerHost(referrer))
    }

    /// The index in `attributions` of the attribution of the pair that a batch's per-event
    /// references name (`ScannedEventBatch.urlRefs`, `referrerRefs`). Every call of one
    /// cache must pass the same batch's `entries`.
    mutating func index(urlRef: UInt32, referrerRef: UInt32, entries: ScannedEventBatch.Entries) -> Int {
        if urlPartOfRef.isEmpty {
            urlPartOfRef = [Int32](repeating: -1, count: entries.count + 1)
            referrerHostOfRef = urlPartOfRef
        }
        var u = urlPartOfRef[Int(urlRef)]
        if u < 0 {
            u = Int32(urlPart(entries[ref: urlRef]))
            urlPartOfRef[Int(urlRef)] = u
        }
        var r = referrerHostOfRef[Int(referrerRef)]
        if r < 0 {
            r = Int32(referrerHost(entries[ref: referrerRef]))
            referrerHostOfRef[Int(referrerRef)] = r
        }
        return index(urlPart: Int(u), referrerHost: Int(r))
    }

    private static var none: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: nil, count: 0) }

    private mutating func urlPart(_ url: UnsafeBufferPointer<UInt8>?) -> Int {
        let (host, query) = url.map(AttributionKey.urlParts(of:)) ?? (Self.none, Self.none)
        scratch.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: UInt32(host.count).littleEndian) { scratch.append(contentsOf: $0) }
        scratch.append(contentsOf: host)
        scratch.append(contentsOf: query)
        return scratch.withUnsafeBufferPointer { urlParts.index(of: $0).index }
    }

    private mutating func referrerHost(_ referrer: UnsafeBufferPointer<UInt8>?) -> Int {
        referrerHosts.index(of: referrer.map(AttributionKey.referrerHost(of:)) ?? Self.none).index
    }

    private mutating func index(urlPart u: Int, referrerHost r: Int) -> Int {
        if let k = pairs.value(UInt32(u), UInt32(r)) { return Int(k) }
        let attribution = urlParts.withBytes(u) { part in
            referrerHosts.withBytes(r) { referrerHost in
                let hostEnd = 4 + (Int(part[0]) | Int(part[1]) << 8 | Int(part[2]) << 16 | Int(part[3]) << 24)
                return AttributionClassifier.classify(
                    urlHost: UnsafeBufferPointer(rebasing: part[4 ..< hostEnd]), urlQuery: UnsafeBufferPointer(rebasing: part[hostEnd...]),
                    referrerHost: referrerHost)
            }
        }
        pairs.set(UInt32(u), UInt32(r), Int32(attributions.count))
        attributions.append(attribution)
        return attributions.count - 1
    }
}
