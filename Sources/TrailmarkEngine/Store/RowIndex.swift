/// Rows grouped per anonymous id and per `user_id` column value, each list in §2 order
/// `(timestamp, seq)`, in compressed-sparse-row form (4 bytes per row plus 4 per id).
///
/// Built for the first `rowCount` rows of a snapshot; a query on a later snapshot uses
/// it for that prefix and scans the rows after it (`ProjectStore.rowIndex(for:)`).
final class RowIndex: Sendable {
    let rowCount: Int
    private let anonOffsets: [UInt32]
    private let anonRows: [UInt32]
    private let userOffsets: [UInt32]
    private let userRows: [UInt32]

    init(_ snap: StoreSnapshot) {
        rowCount = snap.rowCount
        (anonOffsets, anonRows) = RowIndex.group(snap, keys: snap.anon, keyCount: snap.anons.count)
        (userOffsets, userRows) = RowIndex.group(snap, sparse: snap.user, keyCount: snap.users.count)
    }

    /// Counting sort of rows by key (rows with the `none` key are left out), then §2
    /// order inside each key.
    private static func group(_ snap: StoreSnapshot, keys: ColumnSnapshot<UInt32>, keyCount: Int) -> ([UInt32], [UInt32]) {
        var offsets = Array(repeating: UInt32(0), count: keyCount + 1)
        keys.forEachChunk(in: 0..<snap.rowCount) { buffer, _ in
            for k in buffer where k != StringDictionary.none { offsets[Int(k) + 1] += 1 }
        }
        for i in 0..<keyCount { offsets[i + 1] += offsets[i] }
        var cursor = offsets
        var rows = Array(repeating: UInt32(0), count: Int(offsets[keyCount]))
        keys.forEachChunk(in: 0..<snap.rowCount) { buffer, start in
            for (i, k) in buffer.enumerated() where k != StringDictionary.none {
                rows[Int(cursor[Int(k)])] = UInt32(start + i)
                cursor[Int(k)] += 1
            }
        }
        sortEachKey(snap, &rows, offsets)
        return (offsets, rows)
    }

    /// `group` for a sparse column: its present rows grouped by value.
    private static func group(_ snap: StoreSnapshot, sparse: SparseColumnSnapshot, keyCount: Int) -> ([UInt32], [UInt32]) {
        var offsets = Array(repeating: UInt32(0), count: keyCount + 1)
        for i in 0..<sparse.rows.count { offsets[Int(sparse.values[i]) + 1] += 1 }
        for i in 0..<keyCount { offsets[i + 1] += offsets[i] }
        var cursor = offsets
        var rows = Array(repeating: UInt32(0), count: sparse.rows.count)
        for i in 0..<sparse.rows.count {
            let k = Int(sparse.values[i])
            rows[Int(cursor[k])] = sparse.rows[i]
            cursor[k] += 1
        }
        sortEachKey(snap, &rows, offsets)
        return (offsets, rows)
    }

    /// Puts each key's rows in §2 order (they usually are already).
    private static func sortEachKey(_ snap: StoreSnapshot, _ rows: inout [UInt32], _ offsets: [UInt32]) {
        rows.withUnsafeMutableBufferPointer { all in
            for k in 0..<offsets.count - 1 {
                let lo = Int(offsets[k]), hi = Int(offsets[k + 1])
                if hi - lo < 2 { continue }
                var slice = UnsafeMutableBufferPointer(rebasing: all[lo..<hi])
                var sorted = true
                for i in 1..<slice.count where snap.precedes(Int(slice[i]), Int(slice[i - 1])) {
                    sorted = false
                    break
                }
                if !sorted { slice.sort { snap.precedes(Int($0), Int($1)) } }
            }
        }
    }

    /// Rows of anonymous id `anon` in the indexed prefix, in §2 order.
    func rows(anon: UInt32) -> ArraySlice<UInt32> {
        guard Int(anon) + 1 < anonOffsets.count else { return [] }
        return anonRows[Int(anonOffsets[Int(anon)])..<Int(anonOffsets[Int(anon) + 1])]
    }

    /// Rows whose `user_id` column is `user` in the indexed prefix, in §2 order.
    func rows(user: UInt32) -> ArraySlice<UInt32> {
        guard Int(user) + 1 < userOffsets.count else { return [] }
        return userRows[Int(userOffsets[Int(user)])..<Int(userOffsets[Int(user) + 1])]
    }

    var allocatedBytes: Int { (anonOffsets.count + anonRows.count + userOffsets.count + userRows.count) * 4 }
}
