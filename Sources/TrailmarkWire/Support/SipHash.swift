/// SipHash (Aumasson & Bernstein, 2012): a keyed pseudorandom function of short inputs,
/// 64-bit output, 128-bit key. Without the key, an adversary cannot find two inputs with
/// the same output faster than by chance, which is what makes it safe to key a table by
/// the hash of attacker-chosen strings. `WordHash` is faster but offers no such guarantee.
///
/// Both common variants: SipHash-2-4 (the paper's; checked against its test vectors) and
/// SipHash-1-3 (one compression and three finalisation rounds, as Rust's and Swift's
/// hash tables use), which differs only in the round counts.
///
/// The key is two little-endian 64-bit words: bytes 0–7 are `k0`, bytes 8–15 are `k1`.
public struct SipHash: Hashable, Sendable {
    public let k0: UInt64
    public let k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A key from 16 bytes (the first 8 little-endian are `k0`); nil for another count.
    public init?(key: [UInt8]) {
        guard key.count == 16 else { return nil }
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(key[at + $1]) << (8 * $1) } }
        self.init(k0: word(0), k1: word(8))
    }

    /// SipHash-1-3 of `bytes`.
    public func hash13(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        hash(bytes, compression: 1, finalization: 3)
    }

    /// SipHash-2-4 of `bytes`.
    public func hash24(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        hash(bytes, compression: 2, finalization: 4)
    }

    @inline(__always)
    private func hash(_ bytes: UnsafeBufferPointer<UInt8>, compression: Int, finalization: Int) -> UInt64 {
        var s = State(k0: k0, k1: k1)
        var i = 0
        if let base = bytes.baseAddress {
            while i + 8 <= bytes.count {
                // Unaligned little-endian load of 8 bytes inside the buffer (i + 8 <= count).
                let m = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                s.absorb(m, rounds: compression)
                i += 8
            }
        }
        // Last block: the remaining 0–7 bytes, with the length's low byte on top.
        var last = UInt64(truncatingIfNeeded: bytes.count) << 56
        var shift: UInt64 = 0
        while i < bytes.count {
            last |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        s.absorb(last, rounds: compression)
        s.v2 ^= 0xff
        for _ in 0..<finalization { s.round() }
        return s.v0 ^ s.v1 ^ s.v2 ^ s.v3
    }

    private struct State {
        var v0, v1, v2, v3: UInt64

        @inline(__always)
        init(k0: UInt64, k1: UInt64) {
            v0 = k0 ^ 0x736f_6d65_7073_6575  // "somepseu"
            v1 = k1 ^ 0x646f_7261_6e64_6f6d  // "dorandom"
            v2 = k0 ^ 0x6c79_6765_6e65_7261  // "lygenera"
            v3 = k1 ^ 0x7465_6462_7974_6573  // "tedbytes"
        }

        @inline(__always)
        mutating func absorb(_ m: UInt64, rounds: Int) {
            v3 ^= m
            for _ in 0..<rounds { round() }
            v0 ^= m
        }

        @inline(__always)
        mutating func round() {
            v0 &+= v1; v1 = v1.rotated(13); v1 ^= v0; v0 = v0.rotated(32)
            v2 &+= v3; v3 = v3.rotated(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotated(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotated(17); v1 ^= v2; v2 = v2.rotated(32)
        }
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotated(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
