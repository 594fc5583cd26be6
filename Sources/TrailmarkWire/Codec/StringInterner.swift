/// The encoder's string dictionary for an event block (`Proto/WIRE.md` § 6.2): assigns each
/// distinct string the next index on first use and appends it to the dictionary bytes.
///
/// An open-addressing table keyed by the UTF-8 bytes with a word-at-a-time hash (`WordHash`): the
/// standard `Dictionary<String, _>` spent most of the encoder's time in SipHash. Each slot
/// carries the high 32 bits of its entry's hash beside the entry index, so a probe that
/// meets another string rejects it without loading the entry; a tag match is confirmed by
/// length and `memcmp` of the stored bytes.
/// Invariants: `slots.count` is a power of two at least twice the entry count (so probing
/// always finds an empty slot); `slots[i]` is 0 (empty) or `tag << 32 | (k + 1)` for entry
/// `k`; entry `k`'s bytes are `dictionary.bytes[entries[k].offset ..< offset + length]`.
struct StringInterner {
    /// The `dictionary` field body: `(varint length, UTF-8 bytes)*` in index order.
    private(set) var dictionary: WireWriter
    private struct Entry {
        var hash: UInt64
        var offset: Int
        var length: Int
    }
    private var entries: [Entry] = []
    private var slots: [UInt64]

    /// An empty dictionary with room for `expectedStrings` entries of `expectedBytes` in
    /// all, length prefixes included (default 24 a string).
    init(expectedStrings: Int, expectedBytes: Int? = nil) {
        var capacity = 64
        while capacity < expectedStrings * 2 { capacity <<= 1 }
        slots = [UInt64](repeating: 0, count: capacity)
        dictionary = WireWriter(capacity: expectedBytes ?? expectedStrings * 24)
        entries.reserveCapacity(expectedStrings)
    }

    var count: Int { entries.count }

    /// The index of `s`, adding it when new.
    mutating func intern(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { intern(utf8: $0) }
    }

    mutating func intern(utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let hash = WordHash.hash(utf8, seed: 0x9E37_79B9_7F4A_7C15)
        let tag = hash >> 32
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { break }
            if slot >> 32 == tag {
                let k = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                if entries[k].length == utf8.count && equals(entry: k, utf8) { return UInt64(k) }
            }
            i = (i + 1) & mask
        }
        let k = entries.count
        precondition(k < Int(Int32.max), "more than 2^31 dictionary entries")
        slots[i] = tag << 32 | UInt64(k + 1)
        dictionary.appendVarint(UInt64(utf8.count))
        entries.append(Entry(hash: hash, offset: dictionary.count, length: utf8.count))
        dictionary.appendBytes(utf8)
        if entries.count * 2 > slots.count { grow() }
        return UInt64(k)
    }

    private func equals(entry k: Int, _ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let entry = entries[k]
        return dictionary.bytes.withUnsafeBytes { all in
            ByteEquality.equal(UnsafeRawBufferPointer(rebasing: all[entry.offset ..< entry.offset + entry.length]), UnsafeRawBufferPointer(utf8))
        }
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (k, entry) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: entry.hash) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = (entry.hash >> 32) << 32 | UInt64(k + 1)
        }
    }
}
