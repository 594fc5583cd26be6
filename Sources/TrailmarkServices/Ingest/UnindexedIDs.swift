import DequeModule

/// The `event_id` fingerprints the ingest service has claimed that the engine does not
/// answer for yet: those of appends still on their way to disk (`writing`) and those of
/// records written but not yet indexed by the log tailer (`written`). Owned by
/// `IngestService` (one actor), so it needs no lock.
///
/// Each id has one entry for its whole life: inserted when a batch claims it, switched to
/// `written` when the append succeeds (removed when it fails), removed once the tailer's
/// indexed end passes the record. Removal walks a FIFO of written appends in completion
/// order (a later seq ahead of an earlier one only delays pruning, never makes it early),
/// so the cost per event is one insert, one update and one removal, whatever the lag.
struct UnindexedIDs<Append: AnyObject> {
    enum Holder {
        /// An append that has not finished (its identity; `append(_:)` gives the object):
        /// its outcome decides. An identity, not a reference, so the per-id entries cost
        /// no reference counting.
        case writing(ObjectIdentifier)
        /// Stored in log record `seq`: a retry of it is a duplicate.
        case written(seq: UInt64)
    }

    /// project → fingerprint → holder.
    private var table: [String: FingerprintTable<Holder>] = [:]
    /// The unfinished appends by identity; an entry keeps its object alive (so the
    /// identity cannot be reused) until the append is settled.
    private var writing: [ObjectIdentifier: Append] = [:]
    /// Successful appends in completion order, until the engine has indexed them.
    private var written: Deque<(seq: UInt64, project: String, ids: [UInt64])> = []
    /// Ids held, over all projects.
    var count: Int { table.values.reduce(0) { $0 + $1.count } }

    /// The holders of `project`'s ids (a copy-on-write share, for one batch's lookups
    /// without hashing the project name per event); nil when it holds none.
    func holders(of project: String) -> FingerprintTable<Holder>? {
        table[project]
    }

    /// The unfinished append a `.writing` holder names.
    func append(_ id: ObjectIdentifier) -> Append? { writing[id] }

    /// Claims `ids` for `append`.
    mutating func claim(_ ids: [UInt64], for append: Append, in project: String) {
        let identity = ObjectIdentifier(append)
        writing[identity] = append
        var projectTable = table.removeValue(forKey: project) ?? FingerprintTable()
        projectTable.reserveCapacity(projectTable.count + ids.count)
        for id in ids { projectTable[id] = .writing(identity) }
        table[project] = projectTable
    }

    /// Records the outcome of `append` for the ids it still holds. Idempotent: the appender
    /// and every batch that waited on it may call it; only the first call changes anything.
    mutating func settle(_ append: Append, ids: [UInt64], in project: String, seq: UInt64?) {
        let identity = ObjectIdentifier(append)
        guard writing.removeValue(forKey: identity) != nil, var projectTable = table.removeValue(forKey: project) else { return }
        var changed = false
        for id in ids {
            guard case .writing(let holder)? = projectTable[id], holder == identity else { continue }
            changed = true
            if let seq {
                projectTable[id] = .written(seq: seq)
            } else {
                projectTable[id] = nil
            }
        }
        if !projectTable.isEmpty { table[project] = projectTable }
        if changed, let seq { written.append((seq, project, ids)) }
    }

    /// Drops the ids of records below `indexedEnd`: the engine answers for them now.
    mutating func prune(indexedEnd: UInt64) {
        while let oldest = written.first, oldest.seq < indexedEnd {
            written.removeFirst()
            guard var projectTable = table.removeValue(forKey: oldest.project) else { continue }
            for id in oldest.ids {
                if case .written(let seq)? = projectTable[id], seq == oldest.seq { projectTable[id] = nil }
            }
            if !projectTable.isEmpty { table[oldest.project] = projectTable }
        }
    }
}
