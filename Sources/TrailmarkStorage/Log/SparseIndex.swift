/// A sparse per-segment index: one `(seq, offset)` entry every `intervalBytes` of records,
/// so finding a seq costs a binary search plus a scan of at most one interval.
///
/// Invariants: entries are in increasing seq and offset order; capacity is reserved up front
/// (`segment bytes / interval + 1`), so appending never reallocates on the writer's path.
struct SparseIndex: Sendable {
    let intervalBytes: Int
    private(set) var seqs: [UInt64] = []
    private(set) var offsets: [Int] = []
    /// The first record at or past this offset gets an entry.
    private(set) var nextOffset = 0

    init(intervalBytes: Int, segmentBytes: Int) {
        precondition(intervalBytes > 0, "index interval must be positive")
        self.intervalBytes = intervalBytes
        let capacity = segmentBytes / intervalBytes + 2
        seqs.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
    }

    /// Whether a record starting at `offset` should be indexed.
    func wants(offset: Int) -> Bool { offset >= nextOffset }

    /// Notes a record. Precondition: seq and offset above every earlier entry.
    mutating func add(seq: UInt64, offset: Int) {
        guard offset >= nextOffset else { return }
        precondition(seqs.last.map { $0 < seq } ?? true, "index seqs must increase")
        seqs.append(seq)
        offsets.append(offset)
        nextOffset = offset + intervalBytes
    }

    /// The offset of the last indexed record with seq ≤ `seq`, or nil if every entry is
    /// above it.
    func offset(atOrBefore seq: UInt64) -> Int? {
        var low = 0
        var high = seqs.count
        while low < high {
            let mid = (low + high) / 2
            if seqs[mid] <= seq { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : offsets[low - 1]
    }

    var count: Int { seqs.count }
}
