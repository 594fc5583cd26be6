/// A column that most rows leave empty (`session_id`, `user_id`: a few percent of events
/// carry one):
/// only the rows with a value are stored, as ascending `(row, value)` pairs — 8 bytes per
/// present value instead of 4 bytes per row. Append-only like `AppendOnlyColumn`.
struct SparseColumn: Sendable {
    private var rows = AppendOnlyColumn<UInt32>()
    private var values = AppendOnlyColumn<UInt32>()

    /// Writer only: `row` must exceed every row appended before.
    mutating func append(row: Int, value: UInt32) {
        precondition(row < Int(UInt32.max), "row out of range")
        rows.append(UInt32(row))
        values.append(value)
    }

    func publish() {
        rows.publish()
        values.publish()
    }

    func snapshot() -> SparseColumnSnapshot { SparseColumnSnapshot(rows: rows.snapshot(), values: values.snapshot()) }

    var allocatedBytes: Int { rows.allocatedBytes + values.allocatedBytes }
}

/// An immutable view of a `SparseColumn`; absent rows read as `StringDictionary.none`.
struct SparseColumnSnapshot: Sendable {
    let rows: ColumnSnapshot<UInt32>
    let values: ColumnSnapshot<UInt32>

    /// The value of `row` (binary search over the present rows).
    subscript(row: Int) -> UInt32 {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(rows[mid]) < row { lo = mid + 1 } else { hi = mid }
        }
        return lo < rows.count && Int(rows[lo]) == row ? values[lo] : StringDictionary.none
    }
}

/// Reads a `SparseColumnSnapshot` for rows visited in ascending order, in O(1) amortised
/// per row (a merge with the present rows) instead of a binary search.
struct SparseColumnCursor {
    private let column: SparseColumnSnapshot
    private var position = 0

    init(_ column: SparseColumnSnapshot) { self.column = column }

    /// The value of `row`; rows must not decrease between calls.
    @inline(__always)
    mutating func value(at row: Int) -> UInt32 {
        let n = column.rows.count
        while position < n && Int(column.rows[position]) < row { position += 1 }
        return position < n && Int(column.rows[position]) == row ? column.values[position] : StringDictionary.none
    }
}
