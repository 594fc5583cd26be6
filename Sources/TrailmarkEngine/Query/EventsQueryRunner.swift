import TrailmarkWire

/// `EventsQuery` over one snapshot: filters, §2 order or its reverse, pages by cursor.
///
/// The cursor is `t<timestamp>.<seq>` of the last row returned; the next page holds the
/// rows strictly after it in the requested order, so pages never overlap or skip rows
/// even when rows are ingested between pages.
///
/// Cost of a page: O(log n + rows walked) through the cached `TimeOrder`, plus the rows
/// after its prefix; with a user or anonymous id, the row index's candidates. Matches go
/// through `BestRows` (at most 2·(limit + 1) held), never a sort of every match.
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

        // Every filter but time and cursor, cheapest first.
        func accepts(_ row: Int) -> Bool {
            if let n = lookups.name, snap.name[row] != n { return false }
            if let a = lookups.anon, snap.anon[row] != a { return false }
            if let allowed = allowedAttributions, !allowed[Int(snap.attribution[row])] { return false }
            if snap.isDeleted(row) { return false }
            if let wanted = lookups.user, snap.stitchedUser(row) != wanted { return false }
            return true
        }
        let limit = Int(q.limit)
        let descending = q.order == .descending
        // One more than the page, to know whether another page follows.
        var best = BestRows(capacity: limit + 1, descending: descending)
        // A row met out of order: time and cursor first (cheap), then the other filters.
        func consider(_ row: Int) {
            let t = snap.timestamp[row]
            guard t >= q.from && t < q.to else { return }
            let s = snap.seq[row]
            if let (ct, cs) = after {
                if descending ? (t, s) >= (ct, cs) : (t, s) <= (ct, cs) { return }
            }
            if best.admits(t, s) && accepts(row) { best.offer(t, s, row: row) }
        }

        if lookups.anon != nil || lookups.user != nil {
            for row in candidateRows(lookups) { consider(row) }
        } else {
            let order = store.timeOrder(for: snap)
            walk(order, q, after: after, limit: limit, accepts: accepts) { best.offer($0, $1, row: $2) }
            for row in order.rowCount..<snap.rowCount { consider(row) }
        }

        let matches = best.sorted()
        let page = matches.prefix(limit)
        let rows = page.map { snap.eventRow($0.row) }
        let next = matches.count > limit ? page.last.map { EventsQueryRunner.cursor(timestamp: $0.t, seq: $0.s) } : nil
        return EventsPage(rows: rows, nextCursor: next)
    }

    /// Offers the first `limit + 1` rows of `order` that pass the time range, the cursor
    /// and `accepts`, in the query's order: a binary search for the first position, then a
    /// walk that stops at the range's end.
    private func walk(
        _ order: TimeOrder, _ q: EventsQuery, after: (Int64, UInt64)?, limit: Int,
        accepts: (Int) -> Bool, offer: (Int64, UInt64, Int) -> Void
    ) {
        let snap = snapshot
        var found = 0
        if q.order == .ascending {
            // Rows with t >= from, and strictly after the cursor.
            var p = order.firstPosition(snap, from: q.from, 0, strictly: false)
            if let (ct, cs) = after { p = max(p, order.firstPosition(snap, from: ct, cs, strictly: true)) }
            while p < order.rows.count && found <= limit {
                let row = Int(order.rows[p])
                let t = snap.timestamp[row]
                if t >= q.to { return }
                if accepts(row) {
                    offer(t, snap.seq[row], row)
                    found += 1
                }
                p += 1
            }
        } else {
            // Positions below `end`: rows with t < to, and strictly before the cursor.
            var end = order.firstPosition(snap, from: q.to, 0, strictly: false)
            if let (ct, cs) = after { end = min(end, order.firstPosition(snap, from: ct, cs, strictly: false)) }
            var p = end - 1
            while p >= 0 && found <= limit {
                let row = Int(order.rows[p])
                let t = snap.timestamp[row]
                if t < q.from { return }
                if accepts(row) {
                    offer(t, snap.seq[row], row)
                    found += 1
                }
                p -= 1
            }
        }
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
