import TrailmarkWire

/// How an `event_id` is reduced to the 64-bit fingerprint that the duplicate check keys
/// it by (SEMANTICS §1: the first event with an id wins; retries are dropped). Ingest,
/// the engine's `EventIDSet` and erased slots all use the one function a server was
/// started with.
///
/// The fingerprint is **keyed** (SipHash-1-3 with a 128-bit per-install secret, kept in
/// the data directory): an unkeyed hash would let anyone holding a write key compute two
/// ids with one fingerprint and send the second to make another client's event count as
/// a retry and vanish. Without the key, two distinct ids collide only by chance, with
/// probability about n²/2^65 per project (3·10⁻⁶ at 10M ids), and `docs/ENGINE.md`
/// states that trade. The function must stay the same for the life of a data directory:
/// replay rebuilds the set from the stored ids with it, and erased slots keep their
/// fingerprint on disk.
public struct EventIDFingerprint: Hashable, Sendable {
    private let key: SipHash

    /// Fingerprints keyed by a 16-byte secret.
    public init(key: SipHash) {
        self.key = key
    }

    /// A key written in this source file: deterministic, for tests and benchmarks. Anyone
    /// can compute its fingerprints, so a server uses its install's own key instead.
    public static let fixedKey = EventIDFingerprint(key: SipHash(k0: 0x243F_6A88_85A3_08D3, k1: 0x1319_8A2E_0370_7344))

    /// The fingerprint of `id` (never 0, which marks an empty slot).
    @inline(__always)
    public func callAsFunction(_ id: String) -> UInt64 {
        var copy = id
        let h = copy.withUTF8 { key.hash13($0) }
        return h == 0 ? 1 : h
    }

    /// The fingerprint of the id whose UTF-8 bytes are `utf8` (equal to `self(id)`).
    @inline(__always)
    public func callAsFunction(utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let h = key.hash13(utf8)
        return h == 0 ? 1 : h
    }
}
