/// Dictionary encoding of one string column: each distinct string gets a dense id
/// (0, 1, 2, … in order of first appearance), so columns store 4-byte ids.
///
/// Writer side, mutated under the project lock. Readers use `snapshot()` (id → string
/// without a lock) and resolve string → id under the lock when they take their snapshot.
struct StringDictionary: Sendable {
    /// Sentinel id of "no value" in an optional column.
    static let none: UInt32 = .max

    private var ids: [String: UInt32] = [:]
    private var strings = AppendOnlyColumn<String>()

    var count: Int { strings.count }

    /// The id of `s`, adding it when new.
    mutating func intern(_ s: String) -> UInt32 {
        if let id = ids[s] { return id }
        let id = UInt32(strings.count)
        precondition(id < StringDictionary.none, "dictionary full")
        strings.append(s)
        ids[s] = id
        return id
    }

    /// The id of an optional value (`none` for nil).
    mutating func intern(optional s: String?) -> UInt32 {
        guard let s else { return StringDictionary.none }
        return intern(s)
    }

    /// The id of `s` when it has one.
    func id(of s: String) -> UInt32? { ids[s] }

    func string(_ id: UInt32) -> String { strings[Int(id)] }

    func snapshot() -> ColumnSnapshot<String> { strings.snapshot() }

    /// See `AppendOnlyColumn.publish()`.
    func publish() { strings.publish() }

    /// Rough resident bytes: id table plus string storage (heap strings over 15 bytes).
    var approximateBytes: Int {
        var bytes = strings.allocatedBytes + ids.capacity * (MemoryLayout<String>.stride + 4) * 4 / 3
        let snap = strings.snapshot()
        snap.forEachChunk(in: 0..<snap.count) { buffer, _ in
            for s in buffer where s.utf8.count > 15 { bytes += 32 + s.utf8.count }
        }
        return bytes
    }
}
