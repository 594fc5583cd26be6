/// The encoder's string dictionary for an event block (`Proto/WIRE.md` § 6.2): assigns each
/// distinct string the next index on first use and appends it to the dictionary bytes.
///
/// An open-addressing table keyed by the UTF-8 bytes with a word-at-a-time hash (`WordHash`): the
/// standard `Dictionary<String, _>` spent most of the encoder's time in SipHash.
/// Invariants: `slots.count` is a power of two at least twice the entry count (so probing
/// always finds an empty slot); `slots[i]` is -1 or an entry index; entry `k`'s bytes are
/// `dictionary.bytes[offsets[k] ..< offsets[k] + lengths[k]]`.
struct StringInterner {
    /// The `dictionary` field body: `(varint length, UTF-8 bytes)*` in index order.
    private(set) var dictionary: WireWriter
    private var offsets: [Int] = []
    private var lengths: [Int] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32]

    init(expectedStrings: Int) {
        var capacity = 64
        while capacity < expectedStrings * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        dictionary = WireWriter(capacity: expectedStrings * 24)
    }

    var count: Int { offsets.count }

    /// The index of `s`, adding it when new.
    mutating func intern(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { intern(utf8: $0) }
    }

    private mutating func intern(utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let hash = WordHash.hash(utf8, seed: 0x9E37_79B9_7F4A_7C15)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let k = Int(slots[i])
            if k < 0 { break }
            if hashes[k] == hash && lengths[k] == utf8.count && equals(entry: k, utf8) { return UInt64(k) }
            i = (i + 1) & mask
        }
        let k = offsets.count
        precondition(k < Int(Int32.max), "more than 2^31 dictionary entries")
        slots[i] = Int32(k)
        dictionary.appendVarint(UInt64(utf8.count))
        offsets.append(dictionary.count)
        lengths.append(utf8.count)
        hashes.append(hash)
        dictionary.appendBytes(utf8)
        if offsets.count * 2 > slots.count { grow() }
        return UInt64(k)
    }

    private func equals(entry k: Int, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        dictionary.bytes.withUnsafeBytes { all in
            let stored = UnsafeRawBufferPointer(rebasing: all[offsets[k] ..< offsets[k] + lengths[k]])
            return stored.elementsEqual(UnsafeRawBufferPointer(utf8))
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (k, hash) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: hash) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(k)
        }
    }
}
