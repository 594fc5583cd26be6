import TrailmarkWire

/// A deliberately simple, slow model of SEMANTICS.md §1–§3 used as the oracle of the
/// property tests. It keeps every stored event in a plain array and recomputes every
/// answer from scratch, straight from the text. It shares no code with the engine.
final class ReferenceModel {
    struct Row {
        var event: Event  // with seq and attribution filled in
    }
    struct IdentifyRecord {
        var anon: String
        var user: String
        var timestamp: Int64
        var seq: UInt64
    }

    var rows: [Row] = []
    var identifies: [IdentifyRecord] = []
    var seenEventIDs: Set<String> = []
    /// Rows forgets deleted so far.
    var deletedCount = 0

    // MARK: records

    func add(_ batch: StoredEventBatch, recordSeq: UInt64) {
        for (i, e) in batch.events.enumerated() {
            if let id = e.eventID, !id.isEmpty {
                if seenEventIDs.contains(id) { continue }
                seenEventIDs.insert(id)
            }
            var stored = e
            stored.seq = recordSeq << 20 | UInt64(i)
            if stored.userID == "" { stored.userID = nil }
            if stored.sessionID == "" { stored.sessionID = nil }
            rows.append(Row(event: stored))
        }
    }

    func add(_ batch: StoredIdentifyBatch, recordSeq: UInt64) {
        for (i, identify) in batch.identifies.enumerated() {
            let seq = recordSeq << 20 | UInt64(i)
            // A retried identify (same pair, same time) is stored once.
            if identifies.contains(where: { $0.anon == identify.anonymousID && $0.user == identify.userID && $0.timestamp == (identify.timestamp ?? identify.receivedAt ?? 0) }) { continue }
            let ts = identify.timestamp!  // generated identifies always carry a timestamp
            identifies.append(IdentifyRecord(anon: identify.anonymousID, user: identify.userID, timestamp: ts, seq: seq))
            let e = Event(
                event: "$identify", anonymousID: identify.anonymousID, userID: identify.userID, timestamp: ts,
                receivedAt: identify.receivedAt, attribution: Attribution(source: "direct", medium: "direct", campaign: nil, rule: "direct", confidence: .high), seq: seq
            )
            rows.append(Row(event: e))
        }
    }

    /// A forget deletes what is stored so far: rows whose stitched user is `user`, rows of
    /// anonymous ids all of whose identifies name it, and its identifies. Later events
    /// under the same ids are a new history. Returns how many rows it deleted.
    @discardableResult
    func forget(_ user: String) -> Int {
        let before = rows.count
        rows.removeAll { row in
            let e = row.event
            if userOf(e) == user { return true }
            let ids = identifiesOf(e.anonymousID)
            return !ids.isEmpty && ids.allSatisfy { $0.user == user }
        }
        identifies.removeAll { $0.user == user }
        deletedCount += before - rows.count
        return before - rows.count
    }

    // MARK: §3 stitching

    /// The identifies of an anonymous id, sorted by (timestamp, seq).
    func identifiesOf(_ anon: String) -> [IdentifyRecord] {
        identifies.filter { $0.anon == anon }.sorted { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }
    }

    func userOf(_ e: Event) -> String? {
        if let u = e.userID { return u }
        let ids = identifiesOf(e.anonymousID)
        if ids.isEmpty { return nil }
        let t = e.timestamp!  // stored events always carry a timestamp
        if let next = ids.first(where: { $0.timestamp >= t }) { return next.user }
        return ids.last(where: { $0.timestamp < t })!.user  // non-empty and none >= t
    }

    func unitOf(_ e: Event, _ kind: UnitKind) -> String {
        if kind == .user, let u = userOf(e) { return "user:" + u }
        return "anon:" + e.anonymousID
    }

    /// Stored events (forgets removed theirs from `rows`).
    var visible: [Event] { rows.map(\.event) }

    static func before(_ a: Event, _ b: Event) -> Bool {
        (a.timestamp!, a.seq!) < (b.timestamp!, b.seq!)
    }

    // MARK: events

    func events(_ q: EventsQuery) -> EventsPage {
        var list = visible.filter { e in
            let t = e.timestamp!
            if t < q.from || t >= q.to { return false }
            if let n = q.event, e.event != n { return false }
            if let s = q.source, e.attribution!.source != s { return false }
            if let m = q.medium, e.attribution!.medium != m { return false }
            if let u = q.userID, userOf(e) != u { return false }
            if let a = q.anonymousID, e.anonymousID != a { return false }
            return true
        }
        list.sort(by: ReferenceModel.before)
        if q.order == .descending { list.reverse() }
        if let c = q.cursor {
            let parts = c.dropFirst().split(separator: ".")
            let ct = Int64(parts[0])!, cs = UInt64(parts[1])!  // the engine's own cursor format
            list = list.filter { e in
                q.order == .ascending ? (e.timestamp!, e.seq!) > (ct, cs) : (e.timestamp!, e.seq!) < (ct, cs)
            }
        }
        let page = Array(list.prefix(Int(q.limit)))
        let next = list.count > page.count ? page.last.map { "t\($0.timestamp!).\($0.seq!)" } : nil
        return EventsPage(rows: page.map { EventRow(event: $0, user: userOf($0)) }, nextCursor: next)
    }

    // MARK: stats and sources

    /// Start of the UTC bucket, computed from day numbers (1970-01-01 was a Thursday).
    static func bucket(_ t: Int64, _ interval: Interval) -> Int64 {
        let hour: Int64 = 3_600_000_000
        let day = 24 * hour
        func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
        switch interval {
        case .hour: return floorDiv(t, hour) * hour
        case .day: return floorDiv(t, day) * day
        case .week:
            let dayNumber = floorDiv(t, day)
            let weekday = ((dayNumber + 3) % 7 + 7) % 7  // Monday = 0
            return (dayNumber - weekday) * day
        }
    }

    func stats(_ q: StatsQuery) -> StatsResult {
        struct Key: Hashable {
            var groups: [String?]
            var bucket: Int64?
        }
        var counts: [Key: UInt64] = [:]
        var units: [Key: Set<String>] = [:]
        for e in visible {
            let t = e.timestamp!
            if let f = q.from, t < f { continue }
            if let to = q.to, t >= to { continue }
            if !q.events.isEmpty && !q.events.contains(e.event) { continue }
            let groups: [String?] = q.groupBy.map { field in
                switch field {
                case .event: e.event
                case .source: e.attribution!.source
                case .medium: e.attribution!.medium
                case .campaign: e.attribution!.campaign
                }
            }
            let key = Key(groups: groups, bucket: q.interval.map { ReferenceModel.bucket(t, $0) })
            counts[key, default: 0] += 1
            units[key, default: []].insert(unitOf(e, q.unit))
        }
        var rows = counts.map { k, c in StatsRow(value: q.metric == .count ? c : UInt64(units[k]!.count), groups: k.groups, bucket: k.bucket) }
        if rows.isEmpty && q.groupBy.isEmpty && q.interval == nil { rows = [StatsRow(value: 0)] }
        rows.sort { a, b in
            if a.bucket != b.bucket { return a.bucket! < b.bucket! }
            return refGroupsLess(a.groups, b.groups)
        }
        return StatsResult(metric: q.metric, groupBy: q.groupBy, rows: rows)
    }

    /// Sources are stats grouped by source, medium and campaign: events and uniques.
    func sources(_ q: SourcesQuery) -> SourcesResult {
        var base = StatsQuery(metric: .count, from: q.from, to: q.to, groupBy: [.source, .medium, .campaign], unit: q.unit)
        let counts = stats(base).rows
        base.metric = .uniques
        let uniques = stats(base).rows  // same groups, same order
        var rows = zip(counts, uniques).map { c, u in
            SourcesRow(source: c.groups[0]!, medium: c.groups[1]!, campaign: c.groups[2], events: c.value, uniques: u.value)  // source, medium never null
        }
        rows.sort { a, b in
            if a.events != b.events { return a.events > b.events }
            return refGroupsLess([a.source, a.medium, a.campaign], [b.source, b.medium, b.campaign])
        }
        return SourcesResult(rows: rows)
    }

    // MARK: per-user helpers

    func user(_ q: UserQuery) -> UserResult {
        var result = UserResult(userID: q.userID, anonymousIDs: [], firstTouch: nil, prelogin: [], conversionEvent: q.conversionEvent)
        let mine = identifies.filter { $0.user == q.userID }
        result.anonymousIDs = Array(Set(mine.map(\.anon))).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let events = visible.filter { userOf($0) == q.userID }.sorted(by: ReferenceModel.before)
        if let first = events.first {
            let a = first.attribution!
            result.firstTouch = FirstTouch(event: first.event, timestamp: first.timestamp!, source: a.source, medium: a.medium, campaign: a.campaign)
            if let x = q.conversionEvent, let c = events.first(where: { $0.event == x }) {
                result.timeToConversion = c.timestamp! - first.timestamp!
            }
        }
        let firstIdentify = mine.min { ($0.timestamp, $0.seq) < ($1.timestamp, $1.seq) }
        if let fi = firstIdentify {
            let pre = events.filter { $0.userID == nil && ($0.timestamp!, $0.seq!) < (fi.timestamp, fi.seq) }
            result.prelogin = pre.prefix(Int(min(q.preloginLimit, 1000))).map { EventRow(event: $0, user: userOf($0)) }
        }
        return result
    }
}

/// Null first, then by UTF-8 bytes, column by column.
func refGroupsLess(_ a: [String?], _ b: [String?]) -> Bool {
    for i in 0..<a.count where a[i] != b[i] {
        if a[i] == nil { return true }
        if b[i] == nil { return false }
        return a[i]!.utf8.lexicographicallyPrecedes(b[i]!.utf8)  // both non-nil here
    }
    return false
}
