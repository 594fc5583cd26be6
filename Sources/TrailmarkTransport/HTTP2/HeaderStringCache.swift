/// The `String`s of request header fields recently seen on one connection, so a field that
/// repeats from request to request (`user-agent`, `authorization`, `content-length`, …) is
/// compared as bytes and reuses its Strings instead of allocating and validating new ones.
///
/// Lookup: requests on a connection repeat their fields in the same order, so the search
/// starts at the entry after the last hit (usually the one wanted) and compares stored bytes
/// with `memcmp` (no String access).
///
/// Bounds: at most `capacity` entries, each name and value at most `valueBytesMax` bytes
/// (longer ones are decoded but not kept), so a connection holds at most a few KiB here
/// whatever it sends. Replacement is round-robin. Not thread-safe: one connection, one event loop.
struct HeaderStringCache {
    static let capacity = 8
    static let valueBytesMax = 256

    private struct Entry {
        var nameBytes: [UInt8]
        var valueBytes: [UInt8]
        var name: String
        var value: String
    }

    private var entries: [Entry] = []
    private var nextVictim = 0
    /// Where the next search starts: the entry after the last hit.
    private var cursor = 0

    /// `name` and `value` as Strings, from the cache when the same bytes were seen before.
    mutating func strings(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> (name: String, value: String) {
        let count = entries.count
        var probe = cursor < count ? cursor : 0
        for _ in 0..<count {
            if HeaderBytes.equal(name, stored: entries[probe].nameBytes) {
                cursor = probe + 1
                if HeaderBytes.equal(value, stored: entries[probe].valueBytes) { return (entries[probe].name, entries[probe].value) }
                let decoded = String(decoding: value, as: UTF8.self)
                if value.count <= Self.valueBytesMax {
                    entries[probe].valueBytes = Array(value)
                    entries[probe].value = decoded
                }
                return (entries[probe].name, decoded)
            }
            probe = probe + 1 == count ? 0 : probe + 1
        }
        let entry = Entry(nameBytes: Array(name), valueBytes: Array(value),
                          name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        guard value.count <= Self.valueBytesMax, name.count <= Self.valueBytesMax else { return (entry.name, entry.value) }
        if count < Self.capacity {
            entries.append(entry)
            cursor = count + 1
        } else {
            entries[nextVictim] = entry
            cursor = nextVictim + 1
            nextVictim = (nextVictim + 1) % Self.capacity
        }
        return (entry.name, entry.value)
    }
}
