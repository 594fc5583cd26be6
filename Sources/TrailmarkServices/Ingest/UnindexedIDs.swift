import DequeModule

/// The `event_id` fingerprints the ingest service has claimed that the engine does not
/// answer for yet: those of appends still on their way to disk and those of records
/// written but not yet indexed by the log tailer. Owned by `IngestService` (one actor),
/// so it needs no lock.
///
/// Each id maps to the number of the append that claimed it; the append's state
/// (writing, written at `seq`, failed) is kept once per append, so settling an append
/// costs the same for one id or a thousand. Ids live in two generations of tables: claims
/// go to the young one; once every append of the old generation has settled and each
/// written record is below the tailer's indexed end, the old tables are dropped whole (the
/// engine answers for those ids now) and the young generation becomes the old one. So the
/// cost per id is one insert, whatever the lag, and no id is dropped before it is indexed.
///
/// A later claim of the same id (a fingerprint collision between server-generated ids)
/// shadows the earlier one: lookups try the young generation first, and within one the
/// later claim overwrites the entry.
struct UnindexedIDs<Append: AnyObject> {
    /// What a lookup finds.
    enum Holder {
        /// An append that has not finished: its outcome decides.
        case writing(Append)
        /// Stored in log record `seq`: a retry of it is a duplicate.
        case written(seq: UInt64)
    }

    fileprivate enum State {
        case writing(Append)
        case written(seq: UInt64)
        case failed
    }

    private struct Generation {
        /// project → fingerprint → append number.
        var tables: [String: FingerprintTable<UInt64>] = [:]
        /// The first append number of the generation (the young one's runs to `nextNumber`).
        var firstNumber: UInt64
        /// Appends of the generation still writing.
        var writing = 0
        /// The highest seq the generation's appends were written at, plus one (0: none).
        var writtenEnd: UInt64 = 0

        var idCount: Int { tables.values.reduce(0) { $0 + $1.count } }
    }

    /// Append states by number, from `old.firstNumber` to `nextNumber`.
    private var states: Deque<State> = []
    private var nextNumber: UInt64 = 0
    private var old = Generation(firstNumber: 0)
    private var young = Generation(firstNumber: 0)
    /// The number of each unsettled append, by identity.
    private var numbers: [ObjectIdentifier: UInt64] = [:]
    /// The tables of the last dropped generation, emptied when reused: a generation's
    /// tables grow to the same size each time, and fresh ones cost a rehash per doubling
    /// and a page fault per 4 KiB.
    private var spare: [String: FingerprintTable<UInt64>] = [:]

    /// Ids held, over all projects and both generations (for tests and metrics).
    var count: Int { old.idCount + young.idCount }

    /// A view of `project`'s ids for one batch's lookups (copy-on-write shares, so no
    /// per-event hashing of the project name); nil when it holds none.
    func lookup(_ project: String) -> Lookup? {
        let y = young.tables[project], o = old.tables[project]
        guard y != nil || o != nil else { return nil }
        return Lookup(young: y, old: o, states: states, firstNumber: old.firstNumber)
    }

    struct Lookup {
        fileprivate let young: FingerprintTable<UInt64>?
        fileprivate let old: FingerprintTable<UInt64>?
        fileprivate let states: Deque<State>
        fileprivate let firstNumber: UInt64

        /// Who holds `fingerprint` (never 0), or nil when nobody does.
        subscript(fingerprint: UInt64) -> Holder? {
            // A failed claim frees the id; an older claim may still hold it.
            holder(young?[fingerprint]) ?? holder(old?[fingerprint])
        }

        private func holder(_ number: UInt64?) -> Holder? {
            guard let number else { return nil }
            switch states[Int(number - firstNumber)] {
            case .writing(let append): return .writing(append)
            case .written(let seq): return .written(seq: seq)
            case .failed: return nil
            }
        }
    }

    /// Claims `ids` for `append` (which must not have claimed before).
    mutating func claim(_ ids: [UInt64], for append: Append, in project: String) {
        let number = nextNumber
        nextNumber += 1
        states.append(.writing(append))
        numbers[ObjectIdentifier(append)] = number
        young.writing += 1
        var table = young.tables.removeValue(forKey: project) ?? reused(project)
        table.updateValues(number, forKeys: ids)
        young.tables[project] = table
    }

    /// An empty table for `project`: the dropped generation's, else a new one.
    private mutating func reused(_ project: String) -> FingerprintTable<UInt64> {
        guard var table = spare.removeValue(forKey: project) else { return FingerprintTable() }
        table.removeAll()
        return table
    }

    /// Records the outcome of `append` (`seq`, or nil when it failed). Idempotent: the
    /// appender and every batch that waited on it may call it; only the first call counts.
    mutating func settle(_ append: Append, seq: UInt64?) {
        guard let number = numbers.removeValue(forKey: ObjectIdentifier(append)) else { return }
        states[Int(number - old.firstNumber)] = seq.map { .written(seq: $0) } ?? .failed
        if number >= young.firstNumber {
            young.writing -= 1
            if let seq { young.writtenEnd = max(young.writtenEnd, seq + 1) }
        } else {
            old.writing -= 1
            if let seq { old.writtenEnd = max(old.writtenEnd, seq + 1) }
        }
    }

    /// Drops the generations whose every record is below `indexedEnd` (the engine answers
    /// for their ids now); the young generation is checked right after the old one.
    mutating func prune(indexedEnd: UInt64) {
        while old.writing == 0 && old.writtenEnd <= indexedEnd {
            let dropped = Int(young.firstNumber - old.firstNumber)
            states.removeFirst(dropped)
            let emptyYoung = young.tables.isEmpty && young.writing == 0
            if !old.tables.isEmpty { spare = old.tables }
            old = young
            young = Generation(firstNumber: nextNumber)
            if emptyYoung { break }
        }
    }
}
