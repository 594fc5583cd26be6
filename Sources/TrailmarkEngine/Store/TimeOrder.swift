/// Every row of a snapshot prefix in SEMANTICS §2 order `(timestamp, seq)`: a permutation
/// of `0..<rowCount`, 4 bytes per row. `EventsQuery` pages binary-search it for their first
/// row and walk it, so a page costs O(log n + rows looked at), not a sort of every match.
///
/// Depends only on timestamps and seqs, which never change once written, so it stays
/// valid for every later snapshot (their rows at or after `rowCount` are scanned by the
/// caller until `ProjectStore.timeOrder(for:)` merges them in). Deleted rows stay in it;
/// queries skip them.
final class TimeOrder: Sendable {
    /// Rows covered: exactly `0..<rowCount`.
    let rowCount: Int
    /// Row numbers in §2 order.
    let rows: [UInt32]

    private init(rowCount: Int, rows: [UInt32]) {
        self.rowCount = rowCount
        self.rows = rows
    }

    /// The order of every row of `snap`.
    convenience init(_ snap: StoreSnapshot) {
        self.init(rowCount: snap.rowCount, rows: TimeOrder.sorted(snap, 0..<snap.rowCount))
    }

    /// Rows `range` in §2 order. Rows arrive mostly in time order: a sorted range costs one
    /// pass, and the standard library's sort (stable, run-detecting) is about linear on
    /// nearly sorted input.
    private static func sorted(_ snap: StoreSnapshot, _ range: Range<Int>) -> [UInt32] {
        var rows = Array(UInt32(range.lowerBound)..<UInt32(range.upperBound))
        var inOrder = true
        for i in rows.indices.dropFirst() where snap.precedes(Int(rows[i]), Int(rows[i - 1])) {
            inOrder = false
            break
        }
        if !inOrder { rows.sort { snap.precedes(Int($0), Int($1)) } }
        return rows
    }

    /// This order plus the rows `rowCount..<snap.rowCount` of a later snapshot: those
    /// sorted, then merged in (the part of this order before the first of them is copied).
    func extended(to snap: StoreSnapshot) -> TimeOrder {
        precondition(snap.rowCount >= rowCount, "a time order extends only to a later snapshot")
        let added = TimeOrder.sorted(snap, rowCount..<snap.rowCount)
        guard let first = added.first else { return self }
        // Old rows that precede the first new one keep their positions.
        let split = count(snap, preceding: Int(first))
        var merged = [UInt32]()
        merged.reserveCapacity(rows.count + added.count)
        merged.append(contentsOf: rows[..<split])
        var i = split, j = 0
        while i < rows.count && j < added.count {
            // On equal keys the older row first, as a stable sort of all rows would.
            if snap.precedes(Int(added[j]), Int(rows[i])) {
                merged.append(added[j])
                j += 1
            } else {
                merged.append(rows[i])
                i += 1
            }
        }
        merged.append(contentsOf: rows[i...])
        merged.append(contentsOf: added[j...])
        return TimeOrder(rowCount: snap.rowCount, rows: merged)
    }

    /// This order restricted to the rows of an earlier snapshot (one pass, no sort).
    func truncated(to snap: StoreSnapshot) -> TimeOrder {
        guard snap.rowCount < rowCount else { return self }
        let limit = UInt32(snap.rowCount)
        return TimeOrder(rowCount: snap.rowCount, rows: rows.filter { $0 < limit })
    }

    /// Number of rows in this order that precede `row` (which must not be in it).
    private func count(_ snap: StoreSnapshot, preceding row: Int) -> Int {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if snap.precedes(Int(rows[mid]), row) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The first position whose row's `(timestamp, seq)` is at least `(t, s)`, or greater
    /// than it when `strictly`; `rows.count` when there is none. O(log n).
    func firstPosition(_ snap: StoreSnapshot, from t: Int64, _ s: UInt64, strictly: Bool) -> Int {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let row = Int(rows[mid])
            let rt = snap.timestamp[row], rs = snap.seq[row]
            let before = strictly ? (rt, rs) <= (t, s) : (rt, rs) < (t, s)
            if before { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    var allocatedBytes: Int { rows.capacity * 4 }
}

extension ProjectStore {
    /// The §2 order of the rows of `snap`, or of a prefix of them: the cached order is
    /// returned while the rows added after it stay at most max(65,536, its rows/16) (the
    /// caller scans those); else the new rows are merged in and the result cached. An
    /// older snapshot than the cached order's gets that order restricted to its rows.
    func timeOrder(for snap: StoreSnapshot) -> TimeOrder {
        let cached = state.withLock { $0.timeOrderCache }
        if let cached {
            if cached.rowCount > snap.rowCount { return cached.truncated(to: snap) }
            if snap.rowCount - cached.rowCount <= max(1 << 16, cached.rowCount / 16) { return cached }
        }
        let order = cached?.extended(to: snap) ?? TimeOrder(snap)
        state.withLock { s in
            if (s.timeOrderCache?.rowCount ?? -1) < order.rowCount { s.timeOrderCache = order }
        }
        return order
    }
}
