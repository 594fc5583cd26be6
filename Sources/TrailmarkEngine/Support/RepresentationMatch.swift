/// Finds remembered values by their in-memory representation: a fast path for values made
/// of strings, integers and enums, where identical bytes imply equal values (the same
/// string storage, or the same small string stored inline). The converse does not hold, so
/// a miss says nothing: the caller falls back to `==`.
///
/// Invariant: each remembered value is held here (retained), so the storage its bytes point
/// to cannot be freed and reused for another string while field bytes are compared with it.
/// A field compared must be an initialised `T` in memory the caller keeps alive.
struct RepresentationMatch<T> {
    private var values: [T] = []
    private var keys: [UInt32] = []
    /// The last hit, tried first.
    private var recent = 0
    /// Where the next value goes once `limit` are held (the oldest is replaced).
    private var next = 0
    /// At most this many values are remembered.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The address of stored property `offset` bytes into `base[i]` (`offset` from
    /// `MemoryLayout<Root>.offset(of:)` of a `T` property).
    @inline(__always)
    static func field<Root>(offset: Int, of base: UnsafeBufferPointer<Root>, at i: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(base.baseAddress.unsafelyUnwrapped + i) + offset  // i < base.count, so the base is set
    }

    /// The key of a remembered value whose bytes equal the `T` at `field`.
    mutating func find(_ field: UnsafeRawPointer) -> UInt32? {
        let found: Int? = values.withUnsafeBufferPointer { vs in
            guard let base = vs.baseAddress else { return nil }
            if recent < vs.count && Self.sameBytes(field, UnsafeRawPointer(base + recent)) { return recent }
            for j in vs.indices where j != recent && Self.sameBytes(field, UnsafeRawPointer(base + j)) { return j }
            return nil
        }
        guard let found else { return nil }
        recent = found
        return keys[found]
    }

    /// Remembers `value` under `key`; once `limit` values are held, in place of the oldest.
    mutating func remember(_ value: T, as key: UInt32) {
        guard values.count >= limit else {
            values.append(value)
            keys.append(key)
            return
        }
        values[next] = value
        keys[next] = key
        next = (next + 1) % limit
    }

    /// Byte equality of two `T`s in memory.
    @inline(__always)
    private static func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        let n = MemoryLayout<T>.size
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }
}

extension RepresentationMatch: Sendable where T: Sendable {}
