import TrailmarkWire

/// `EventsQuery` over one snapshot: filters, §2 order or its reverse, pages by cursor.
///
/// The cursor is `t<timestamp>.<seq>` of the last row returned; the next page holds the
/// rows strictly after it in the requested order, so pages never overlap or skip rows
/// even when rows are ingested between pages.
struct EventsQueryRunner {
    let store: ProjectStore
    let snapshot: StoreSnapshot

    static func cursor(timestamp: Int64, seq: UInt64) -> String { "t\(timestamp).\(seq)" }

    static func parseCursor(_ text: String) -> (Int64, UInt64)? {
        guard text.hasPrefix("t") else { return nil }
        let parts = text.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let t = Int64(parts[0]), let s = UInt64(parts[1]) else { return nil }
        return (t, s)
    }

    func run(_ q: EventsQuery) throws(EngineError) -> EventsPage {
        guard (1...10_000).contains(q.limit) else {
            throw EngineError(field: "limit", "limit must be 1...10000, got \(q.limit)")
        }
        var after: (Int64, UInt64)?
        if let c = q.cursor {
            guard let parsed = EventsQueryRunner.parseCursor(c) else { throw EngineError(field: "cursor", "malformed cursor") }
            after = parsed
        }
        let snap = snapshot
        let lookups = store.lookup(snap, name: q.event, user: q.userID, anon: q.anonymousID)
        if (q.event != nil && lookups.name == nil) || (q.userID != nil && lookups.user == nil)
            || (q.anonymousID != nil && lookups.anon == nil)
        {
            return EventsPage(rows: [])
        }
        var allowedAttributions: [Bool]?
        if q.source != nil || q.medium != nil {
            var allowed = Array(repeating: false, count: snap.attributions.count)
            for i in 0..<snap.attributions.count {
                let a = snap.attributions[i]
                allowed[i] = (q.source.map { $0 == a.source } ?? true) && (q.medium.map { $0 == a.medium } ?? true)
            }
            allowedAttributions = allowed
        }

        var matches: [(t: Int64, s: UInt64, row: Int)] = []
        func consider(_ row: Int) {
            let t = snap.timestamp[row]
            guard t >= q.from && t < q.to else { return }
            if let n = lookups.name, snap.name[row] != n { return }
            if let a = lookups.anon, snap.anon[row] != a { return }
            if let allowed = allowedAttributions, !allowed[Int(snap.attribution[row])] { return }
            if snap.isDeleted(row) { return }
            let u = snap.stitchedUser(row)
            if let wanted = lookups.user, u != wanted { return }
            let s = snap.seq[row]
            if let (ct, cs) = after {
                if q.order == .ascending ? (t, s) <= (ct, cs) : (t, s) >= (ct, cs) { return }
            }
            matches.append((t, s, row))
        }
        for row in candidateRows(lookups) { consider(row) }

        if q.order == .ascending {
            matches.sort { ($0.t, $0.s) < ($1.t, $1.s) }
        } else {
            matches.sort { ($0.t, $0.s) > ($1.t, $1.s) }
        }
        let limit = Int(q.limit)
        let page = matches.prefix(limit)
        let rows = page.map { snap.eventRow($0.row) }
        let next = matches.count > limit ? page.last.map { EventsQueryRunner.cursor(timestamp: $0.t, seq: $0.s) } : nil
        return EventsPage(rows: rows, nextCursor: next)
    }

    /// The rows that can match: through the row index when an anonymous id or user is
    /// given (plus the rows after the indexed prefix), else every row.
    private func candidateRows(_ l: ProjectStore.Lookups) -> [Int] {
        let snap = snapshot
        guard l.anon != nil || l.user != nil else { return Array(0..<snap.rowCount) }
        let index = store.rowIndex(for: snap)
        var rows: [Int] = []
        var anons: Set<UInt32> = []
        if let a = l.anon {
            anons.insert(a)
        } else if let u = l.user {
            anons.formUnion(snap.identity.anonsByUser[u] ?? [])
            rows.append(contentsOf: index.rows(user: u).lazy.map { Int($0) })
        }
        for a in anons { rows.append(contentsOf: index.rows(anon: a).lazy.map { Int($0) }) }
        for row in index.rowCount..<snap.rowCount where anons.contains(snap.anon[row]) || (l.user != nil && snap.user[row] == l.user) {
            rows.append(row)
        }
        // A row can be reached both by its user and by its anonymous id.
        return l.anon == nil ? Array(Set(rows)) : rows
    }
}

extension ProjectStore {
    /// Dictionary ids of query strings, valid for `snap` (nil when unknown to it).
    struct Lookups {
        var name: UInt32?
        var user: UInt32?
        var anon: UInt32?
    }

    /// Resolves strings to ids under the lock; ids added after `snap` count as unknown.
    func lookup(_ snap: StoreSnapshot, name: String? = nil, user: String? = nil, anon: String? = nil) -> Lookups {
        state.withLock { s in
            Lookups(
                name: name.flatMap { s.names.id(of: $0) }.flatMap { Int($0) < snap.names.count ? $0 : nil },
                user: user.flatMap { s.users.id(of: $0) }.flatMap { Int($0) < snap.users.count ? $0 : nil },
                anon: anon.flatMap { s.anons.id(of: $0) }.flatMap { Int($0) < snap.anons.count ? $0 : nil }
            )
        }
    }
}
