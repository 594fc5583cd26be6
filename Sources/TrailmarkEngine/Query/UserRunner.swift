import TrailmarkWire

/// The per-user helpers of SEMANTICS §3 over one snapshot.
///
/// The user's events are those whose stitched user is the user: rows with its `user_id`
/// plus rows of its anonymous ids, found through the row index (and a scan of the rows
/// after the indexed prefix). After a forget the user's past is gone (its identifies and
/// events deleted); events sent later under the same id start a new history.
/// `timeToConversion` is nil when the user never did the event.
struct UserRunner {
    let store: ProjectStore
    let snapshot: StoreSnapshot

    func run(_ q: UserQuery) -> UserResult {
        let snap = snapshot
        var result = UserResult(userID: q.userID, anonymousIDs: [], firstTouch: nil, prelogin: [], conversionEvent: q.conversionEvent)
        guard let u = store.lookup(snap, user: q.userID).user else { return result }
        let anonIDs = snap.identity.anonsByUser[u] ?? []
        result.anonymousIDs = anonIDs.map { snap.anons[Int($0)] }.sorted(by: utf8Less)

        let index = store.rowIndex(for: snap)
        let anonSet = Set(anonIDs)
        var rows = Set(index.rows(user: u).lazy.map { Int($0) })
        for a in anonIDs { rows.formUnion(index.rows(anon: a).lazy.map { Int($0) }) }
        for row in index.rowCount..<snap.rowCount where snap.user[row] == u || anonSet.contains(snap.anon[row]) {
            rows.insert(row)
        }
        let mine = rows.filter { row in
            !snap.isDeleted(row) && snap.stitchedUser(row) == u
        }.sorted { snap.precedes($0, $1) }

        if let first = mine.first {
            let a = snap.attributions[Int(snap.attribution[first])]
            result.firstTouch = FirstTouch(
                event: snap.names[Int(snap.name[first])], timestamp: snap.timestamp[first],
                source: a.source, medium: a.medium, campaign: a.campaign
            )
            if let x = q.conversionEvent, let converted = mine.first(where: { snap.names[Int(snap.name[$0])] == x }) {
                result.timeToConversion = snap.timestamp[converted] - snap.timestamp[first]
            }
        }
        if let firstIdentify = snap.identity.firstIdentifyByUser[u] {
            let limit = Int(min(q.preloginLimit, 1000))
            result.prelogin = mine.lazy.filter { row in
                snap.user[row] == StringDictionary.none && (snap.timestamp[row], snap.seq[row]) < (firstIdentify.timestamp, firstIdentify.seq)
            }.prefix(limit).map { snap.eventRow($0) }
        }
        return result
    }
}
