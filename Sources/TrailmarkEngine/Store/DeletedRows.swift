/// Rows and identifies that forgets removed from one project (`docs/ENGINE.md` § Forget).
///
/// Immutable: a forget builds a new value (`adding`) and publishes it under the project
/// lock, so a snapshot holds one reference and reads it without locks. Forgets are rare;
/// until the first one `words` is empty and `contains` is a single length check.
final class DeletedRows: Sendable {
    static let none = DeletedRows(words: [], identifySeqs: [], generation: 0, rowCount: 0)

    /// Bit per row: deleted.
    private let words: [UInt64]
    /// Seqs of deleted identifies (each equals its `$identify` row's seq).
    let identifySeqs: Set<UInt64>
    /// Grows with every forget that deleted something; keys the identity-index cache.
    let generation: Int
    /// Rows deleted.
    let rowCount: Int

    private init(words: [UInt64], identifySeqs: Set<UInt64>, generation: Int, rowCount: Int) {
        self.words = words
        self.identifySeqs = identifySeqs
        self.generation = generation
        self.rowCount = rowCount
    }

    @inline(__always)
    func contains(_ row: Int) -> Bool {
        let w = row >> 6
        return w < words.count && words[w] & (1 << UInt64(row & 63)) != 0
    }

    /// This set plus `rows` and `identifySeqs`.
    func adding(rows: [Int], identifySeqs more: [UInt64]) -> DeletedRows {
        guard !rows.isEmpty || !more.isEmpty else { return self }
        var w = words
        if let last = rows.max(), last >> 6 >= w.count { w += Array(repeating: 0, count: (last >> 6) + 1 - w.count) }
        var added = 0
        for row in rows where w[row >> 6] & (1 << UInt64(row & 63)) == 0 {
            w[row >> 6] |= 1 << UInt64(row & 63)
            added += 1
        }
        return DeletedRows(words: w, identifySeqs: identifySeqs.union(more), generation: generation + 1, rowCount: rowCount + added)
    }

    var allocatedBytes: Int { words.count * 8 + identifySeqs.count * 16 }
}
