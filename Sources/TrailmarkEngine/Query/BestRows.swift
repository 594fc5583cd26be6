/// The first `capacity` rows, in §2 order `(timestamp, seq)` or its reverse, among rows
/// offered in any order, in O(capacity) memory and O(offered · log capacity) time.
///
/// Keeps at most `2 · capacity` rows: when full it sorts them and drops all but the best
/// `capacity`, whose worst key then turns later, worse offers away with one comparison.
struct BestRows {
    typealias Entry = (t: Int64, s: UInt64, row: Int)

    let capacity: Int
    let descending: Bool
    private var entries: [Entry] = []
    /// The worst key kept after the last trim, once `capacity` rows are kept.
    private var bound: (Int64, UInt64)?

    /// `capacity` ≥ 1.
    init(capacity: Int, descending: Bool) {
        self.capacity = capacity
        self.descending = descending
    }

    /// Whether a row with key `(t, s)` could still be among the best.
    @inline(__always)
    func admits(_ t: Int64, _ s: UInt64) -> Bool {
        guard let b = bound else { return true }
        return descending ? (t, s) > b : (t, s) < b
    }

    mutating func offer(_ t: Int64, _ s: UInt64, row: Int) {
        guard admits(t, s) else { return }
        entries.append((t, s, row))
        if entries.count >= 2 * capacity { trim() }
    }

    /// The best rows kept, best first (at most `capacity`).
    mutating func sorted() -> [Entry] {
        trim()
        return entries
    }

    private mutating func trim() {
        if descending {
            entries.sort { ($0.t, $0.s) > ($1.t, $1.s) }
        } else {
            entries.sort { ($0.t, $0.s) < ($1.t, $1.s) }
        }
        if entries.count >= capacity {
            entries.removeLast(entries.count - capacity)
            bound = entries.last.map { ($0.t, $0.s) }
        }
    }
}
