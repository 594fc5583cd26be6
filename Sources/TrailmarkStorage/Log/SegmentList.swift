import Synchronization

/// The log's segments in seq order, shared by the writer (adds at rolls), readers (look up),
/// retention (removes from the head) and compaction (replaces sealed ones).
///
/// Decisions are taken under the mutex; file I/O happens after it, on `Segment` references
/// that keep their mappings alive.
final class SegmentList: Sendable {
    private let segments: Mutex<[Segment]>

    init(_ initial: [Segment]) {
        precondition(!initial.isEmpty, "a log has at least its tail segment")
        segments = Mutex(initial)
    }

    var snapshot: [Segment] { segments.withLock { $0 } }

    var first: Segment { segments.withLock { $0[0] } }

    /// The segment holding `seq`: the last whose base seq is ≤ it (or the first segment).
    func segment(containing seq: UInt64) -> Segment {
        segments.withLock { list in
            var low = 0
            var high = list.count
            while low < high {
                let mid = (low + high) / 2
                if list[mid].baseSeq <= seq { low = mid + 1 } else { high = mid }
            }
            return list[max(0, low - 1)]
        }
    }

    /// The segment after the one starting at `baseSeq`, if any.
    func segment(after baseSeq: UInt64) -> Segment? {
        segments.withLock { list in list.first { $0.baseSeq > baseSeq } }
    }

    /// Writer: a new tail after a roll.
    func append(_ segment: Segment) {
        segments.withLock { list in
            precondition(segment.baseSeq > list[list.count - 1].baseSeq, "segments must be appended in seq order")
            list.append(segment)
        }
    }

    /// Replaces `old` (by identity) with `new`; does nothing if `old` is no longer listed.
    func replace(_ old: Segment, with new: Segment) {
        segments.withLock { list in
            if let index = list.firstIndex(where: { $0 === old }) { list[index] = new }
        }
    }

    /// Runs `body` on the list under the mutex (retention and compaction decisions).
    func withList<R>(_ body: (inout [Segment]) throws(StorageError) -> R) throws(StorageError) -> R {
        try segments.withLock { list throws(StorageError) in try body(&list) }
    }
}
