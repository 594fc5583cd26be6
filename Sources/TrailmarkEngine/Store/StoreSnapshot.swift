import TrailmarkWire

/// An immutable, lock-free view of one project as of the moment it was taken (see
/// `ProjectStore`): every column up to `rowCount`, the dictionaries up to their counts
/// the rows and identifies forgets deleted, and the identity index built without those.
struct StoreSnapshot: Sendable {
    let project: String
    let rowCount: Int
    let timestamp: ColumnSnapshot<Int64>
    let seq: ColumnSnapshot<UInt64>
    let name: ColumnSnapshot<UInt32>
    let anon: ColumnSnapshot<UInt32>
    /// Sparse: only events sent with a `user_id` have one. Scans read it with a cursor.
    let user: SparseColumnSnapshot
    /// Sparse: about 5% of events carry a session id.
    let session: SparseColumnSnapshot
    let attribution: ColumnSnapshot<UInt32>
    let extras: ColumnSnapshot<RowExtras?>
    let identifies: ColumnSnapshot<IdentifyEntry>
    /// Rows and identifies forgets removed: every query skips them (`isDeleted`).
    let deleted: DeletedRows
    let names: StringDictionarySnapshot
    let anons: StringDictionarySnapshot
    let users: StringDictionarySnapshot
    let sessions: StringDictionarySnapshot
    /// Every row's seq is larger than the previous row's (rows arrive in log order), so
    /// row order breaks timestamp ties exactly as seq does.
    let seqAscending: Bool
    let attributions: ColumnSnapshot<Attribution>
    var identity: IdentityIndex
    /// The cached identity index did not match; the taker rebuilds it outside the lock.
    let identityIsStale: Bool
    let fetcher: RecordFetcher?
    /// The project's property column cache; nil without a fetcher (properties are then in
    /// memory, `extras`).
    let propertyColumns: PropertyColumns?

    /// Takes the view; call under the project lock.
    init(state s: ProjectStore.State, project: String, fetcher: RecordFetcher?, propertyColumns: PropertyColumns?) {
        self.project = project
        self.propertyColumns = propertyColumns
        rowCount = s.timestamp.count
        timestamp = s.timestamp.snapshot()
        seq = s.seq.snapshot()
        name = s.name.snapshot()
        anon = s.anon.snapshot()
        user = s.user.snapshot()
        session = s.session.snapshot()
        attribution = s.attribution.snapshot()
        extras = s.extras.snapshot()
        identifies = s.identifies.snapshot()
        deleted = s.deleted
        names = s.names.snapshot()
        anons = s.anons.snapshot()
        users = s.users.snapshot()
        sessions = s.sessions.snapshot()
        attributions = s.attributions.snapshot()
        seqAscending = s.seqAscending
        self.fetcher = fetcher
        if let cached = s.identityCache, cached.identifyCount == s.identifies.count, cached.deletedGeneration == s.deleted.generation {
            identity = cached
            identityIsStale = false
        } else {
            identity = IdentityIndex.empty
            identityIsStale = true
        }
    }

    /// The stitched user of `row` (SEMANTICS §3), `StringDictionary.none` when it has none.
    @inline(__always)
    func stitchedUser(_ row: Int) -> UInt32 {
        identity.user(rowUser: user[row], anon: anon[row], timestamp: timestamp[row])
    }

    /// Number of dense unit ids (`unitID`): users first, then `anon:` units.
    var unitSpace: Int { users.count + anons.count }

    /// Whether a forget deleted `row`.
    @inline(__always)
    func isDeleted(_ row: Int) -> Bool { deleted.contains(row) }

    /// The dense unit id of `row` (SEMANTICS §3), or nil when a forget deleted the row.
    @inline(__always)
    func unitID(_ row: Int, kind: UnitKind) -> Int? {
        unitID(row, kind: kind, rowUser: user[row])
    }

    /// `unitID(_:kind:)` with the row's `user_id` id already read (by a cursor).
    @inline(__always)
    func unitID(_ row: Int, kind: UnitKind, rowUser: UInt32) -> Int? {
        if deleted.contains(row) { return nil }
        let a = anon[row]
        let u = identity.user(rowUser: rowUser, anon: a, timestamp: timestamp[row])
        if kind == .user && u != StringDictionary.none { return Int(u) }
        return users.count + Int(a)
    }

    /// The large fields of `row`, from memory or the log.
    func largeFields(_ row: Int) -> (eventID: String?, url: String?, path: String?, referrer: String?, properties: Properties, receivedAt: Int64?) {
        if let fetcher {
            guard let e = fetcher(project, seq[row]) else { return (nil, nil, nil, nil, [:], nil) }
            return (e.eventID, e.url, e.path, e.referrer, e.properties, e.receivedAt)
        }
        guard row < extras.count, let x = extras[row] else { return (nil, nil, nil, nil, [:], nil) }
        return (x.eventID, x.url, x.path, x.referrer, x.properties, x.receivedAt)
    }

    /// The properties of `row` (one fetch per call with a fetcher: a query reading a
    /// property of many rows uses `PropertyReader` instead).
    func properties(_ row: Int) -> Properties {
        if let fetcher { return fetcher(project, seq[row])?.properties ?? [:] }
        guard row < extras.count, let x = extras[row] else { return [:] }
        return x.properties
    }

    /// The full stored event of `row`, with its server fields.
    func event(_ row: Int) -> Event {
        let large = largeFields(row)
        let u = user[row], s = session[row]
        return Event(
            event: names[Int(name[row])], anonymousID: anons[Int(anon[row])],
            userID: u == StringDictionary.none ? nil : users[Int(u)], timestamp: timestamp[row],
            sessionID: s == StringDictionary.none ? nil : sessions[Int(s)], eventID: large.eventID,
            url: large.url, path: large.path, referrer: large.referrer, properties: large.properties,
            receivedAt: large.receivedAt, attribution: attributions[Int(attribution[row])], seq: seq[row]
        )
    }

    /// The row as queries return it: the event and its stitched user.
    func eventRow(_ row: Int) -> EventRow {
        let u = stitchedUser(row)
        return EventRow(event: event(row), user: u == StringDictionary.none ? nil : users[Int(u)])
    }

    /// §2 order of two rows: `(timestamp, seq)`.
    @inline(__always)
    func precedes(_ a: Int, _ b: Int) -> Bool {
        let ta = timestamp[a], tb = timestamp[b]
        return ta != tb ? ta < tb : seq[a] < seq[b]
    }
}

extension IdentityIndex {
    /// An index of no identifies, used until the real one is built.
    static let empty = IdentityIndex(identifies: ColumnSnapshot(), deleted: .none)
}
