/// The `String`s of request header fields recently seen on one connection, so a field that
/// repeats from request to request (`user-agent`, `authorization`, `content-length`, …) is
/// compared as bytes and reuses its Strings instead of allocating and validating new ones.
///
/// Bounds: at most `capacity` entries, each value at most `valueBytesMax` bytes (longer values
/// are decoded but not kept), so a connection holds at most a few KiB here whatever it sends.
/// Replacement is round-robin. Not thread-safe: one connection, one event loop.
struct HeaderStringCache {
    static let capacity = 8
    static let valueBytesMax = 256
    private var names: [String] = []
    private var values: [String] = []
    private var nextVictim = 0

    /// `name` and `value` as Strings, from the cache when the same bytes were seen before.
    mutating func strings(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> (name: String, value: String) {
        for index in names.indices where HeaderBytes.equal(name, string: names[index]) {
            if HeaderBytes.equal(value, string: values[index]) { return (names[index], values[index]) }
            let decoded = String(decoding: value, as: UTF8.self)
            if value.count <= Self.valueBytesMax { values[index] = decoded }
            return (names[index], decoded)
        }
        let entry = (name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        guard value.count <= Self.valueBytesMax, name.count <= Self.valueBytesMax else { return entry }
        if names.count < Self.capacity {
            names.append(entry.name)
            values.append(entry.value)
        } else {
            names[nextVictim] = entry.name
            values[nextVictim] = entry.value
            nextVictim = (nextVictim + 1) % Self.capacity
        }
        return entry
    }
}
