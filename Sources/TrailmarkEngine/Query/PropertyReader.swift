import TrailmarkWire

/// How a query reads a few property keys of many rows: with a fetcher, from the
/// project's per-key columns (`PropertyColumn`, built on first use and extended to the
/// snapshot, all keys in one pass); without one, from the rows' properties in memory.
///
/// Missing and null read alike (`.null`): every query treats them the same (SEMANTICS
/// §4 filters, property breakdown keys, §5 exposure groups).
struct PropertyReader {
    let snapshot: StoreSnapshot
    /// The keys, addressed by index in `value(_:key:)`.
    let keys: [String]
    /// One view per key; empty when the properties are in memory.
    private let views: [PropertyColumnView]

    init(snapshot: StoreSnapshot, keys: [String]) {
        self.snapshot = snapshot
        self.keys = keys
        views = snapshot.propertyColumns?.views(keys, covering: snapshot) ?? []
    }

    /// The value of `keys[key]` on `row` (`.null` when missing or null).
    @inline(__always)
    func value(_ row: Int, key: Int) -> PropertyValue {
        if !views.isEmpty { return views[key].value(row) }
        return snapshot.properties(row)[keys[key]] ?? .null
    }
}
