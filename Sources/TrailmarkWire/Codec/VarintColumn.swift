/// A column of minimal base-128 varints (WIRE.md § 3) encoded in one pass into a buffer
/// sized for the worst case, for the columns the ingest fast path writes for a whole
/// batch at once: one allocation and one store per byte, where `WireWriter.appendVarint`
/// pays an array uniqueness and capacity check per byte.
enum VarintColumn {
    /// Bytes a varint takes at most.
    static let maxBytes = 10

    /// The varints of `value(0) … value(count - 1)`, in order (the bytes `appendVarint`
    /// would write for each).
    @inline(__always)
    static func encode(count: Int, _ value: (Int) -> UInt64) -> [UInt8] {
        precondition(count >= 0 && count <= Int.max / maxBytes, "column size")
        return [UInt8](unsafeUninitializedCapacity: count * maxBytes) { buffer, initialized in
            var at = 0
            for i in 0 ..< count { at = put(value(i), into: buffer, at: at) }
            initialized = at
        }
    }

    /// Writes `value`'s varint at `out[at...]`; returns the index after it. Precondition
    /// (the caller's, checked in debug builds only by the buffer's subscript): `out` has
    /// room for it from `at` (`WireWriter.varintSize(value)` bytes, `maxBytes` at most:
    /// `encode` sizes its buffer for `maxBytes` a value, `encodedAck` for the exact sizes).
    @inline(__always)
    static func put(_ value: UInt64, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var v = value, at = start
        while v >= 0x80 {
            out[at] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            at += 1
        }
        out[at] = UInt8(truncatingIfNeeded: v)
        return at + 1
    }
}
