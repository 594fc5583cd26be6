import TrailmarkWire

/// `StatsQuery` and `SourcesQuery` over one snapshot.
///
/// Readings (docs/ENGINE.md): `uniques` counts distinct units per row (per group and
/// bucket), so bucket values need not add up to the total; only buckets and groups with
/// at least one event appear (no zero rows), except that a query without `groupBy` and
/// `interval` always has its one row. Rows are sorted by bucket, then by group values
/// (null first, then by UTF-8 bytes). Sources rows are sorted by events (descending),
/// then source, medium, campaign.
struct StatsRunner {
    let snapshot: StoreSnapshot

    static let hourMicros: Int64 = 3_600_000_000
    static let dayMicros: Int64 = 24 * hourMicros
    static let weekMicros: Int64 = 7 * dayMicros
    /// 1970-01-05T00:00:00Z, a Monday: weeks start on Mondays (ISO 8601).
    static let weekOrigin: Int64 = 4 * dayMicros

    /// Start of the UTC bucket containing `t` (floor division, also before 1970).
    static func bucketStart(_ t: Int64, _ interval: Interval) -> Int64 {
        let (width, origin): (Int64, Int64) =
            switch interval {
            case .hour: (hourMicros, 0)
            case .day: (dayMicros, 0)
            case .week: (weekMicros, weekOrigin)
            }
        let d = t - origin
        var q = d / width
        if d % width != 0 && d < 0 { q -= 1 }
        return origin + q * width
    }

    /// Per attribution id, a dense id of one of its fields (nil campaign included).
    private func fieldIDs(_ field: GroupField) -> (ids: [UInt32], values: [String?]) {
        var seen: [String?: UInt32] = [:]
        var values: [String?] = []
        var ids: [UInt32] = []
        for i in 0..<snapshot.attributions.count {
            let a = snapshot.attributions[i]
            let v: String? =
                switch field {
                case .source: a.source
                case .medium: a.medium
                case .campaign: a.campaign
                case .event: nil
                }
            if let id = seen[v] {
                ids.append(id)
            } else {
                let id = UInt32(values.count)
                seen[v] = id
                values.append(v)
                ids.append(id)
            }
        }
        return (ids, values)
    }

    func stats(_ q: StatsQuery) throws(EngineError) -> StatsResult {
        if Set(q.groupBy).count != q.groupBy.count {
            throw EngineError(field: "group_by", "a group column appears twice")
        }
        let snap = snapshot
        let from = q.from ?? .min, to = q.to ?? .max
        var nameAllowed: [Bool]?
        if !q.events.isEmpty {
            let wanted = Set(q.events)
            nameAllowed = (0..<snap.names.count).map { wanted.contains(snap.names[$0]) }
        }
        // Radix of each group column, and per-row component lookups.
        var radices: [Int] = []
        var componentIDs: [[UInt32]] = []
        var componentValues: [[String?]] = []
        for field in q.groupBy {
            if field == .event {
                radices.append(max(snap.names.count, 1))
                componentIDs.append([])
                componentValues.append((0..<snap.names.count).map { snap.names[$0] })
            } else {
                let f = fieldIDs(field)
                radices.append(max(f.values.count, 1))
                componentIDs.append(f.ids)
                componentValues.append(f.values)
            }
        }
        @inline(__always) func matches(_ row: Int) -> Bool {
            let t = snap.timestamp[row]
            guard t >= from && t < to else { return false }
            if let allowed = nameAllowed, !allowed[Int(snap.name[row])] { return false }
            return !snap.isDeleted(row)
        }
        // Bucket range: from the query's range when closed, else of the matching rows.
        var minBucket = Int64.max, maxBucket = Int64.min
        if let interval = q.interval, let f = q.from, let t = q.to, f < t {
            minBucket = StatsRunner.bucketStart(f, interval)
            maxBucket = StatsRunner.bucketStart(t - 1, interval)
        } else if let interval = q.interval {
            for row in 0..<snap.rowCount where matches(row) {
                let b = StatsRunner.bucketStart(snap.timestamp[row], interval)
                minBucket = min(minBucket, b)
                maxBucket = max(maxBucket, b)
            }
        }
        let width: Int64 =
            switch q.interval {
            case .hour: StatsRunner.hourMicros
            case .day: StatsRunner.dayMicros
            case .week: StatsRunner.weekMicros
            case nil: 1
            }
        let bucketCount = q.interval == nil || minBucket > maxBucket ? 1 : Int((maxBucket - minBucket) / width) + 1
        var groupSpace = 1
        for r in radices { groupSpace = groupSpace.multipliedReportingOverflow(by: r).partialValue }
        let directKeys = groupSpace.multipliedReportingOverflow(by: bucketCount)
        let useDirect = !directKeys.overflow && directKeys.partialValue <= 1 << 22
        var sparse: [Int: Int] = [:]
        var sparseKeys: [Int] = []

        @inline(__always) func compositeKey(_ row: Int) -> Int {
            var key = 0
            for (i, field) in q.groupBy.enumerated() {
                let c = field == .event ? Int(snap.name[row]) : Int(componentIDs[i][Int(snap.attribution[row])])
                key = key &* radices[i] &+ c
            }
            if let interval = q.interval {
                key = key &* bucketCount &+ Int((StatsRunner.bucketStart(snap.timestamp[row], interval) - minBucket) / width)
            }
            return key
        }
        var agg: Aggregator
        if useDirect {
            // One pass straight into the aggregator.
            agg = Aggregator(keyCount: directKeys.partialValue, unitSpace: snap.unitSpace, wantUniques: q.metric == .uniques)
            var users = SparseColumnCursor(snap.user)
            for row in 0..<snap.rowCount where matches(row) {
                guard let unit = snap.unitID(row, kind: q.unit, rowUser: users.value(at: row)) else { continue }
                agg.add(key: compositeKey(row), unit: unit)
            }
        } else {
            agg = sparseAggregate(q, matches: matches, compositeKey: compositeKey, sparse: &sparse, sparseKeys: &sparseKeys)
        }
        agg.finish()

        var rows: [StatsRow] = []
        for dense in 0..<agg.keyCount where agg.counts[dense] > 0 {
            var composite = useDirect ? dense : sparseKeys[dense]
            var bucket: Int64?
            if q.interval != nil {
                bucket = minBucket + Int64(composite % bucketCount) * width
                composite /= bucketCount
            }
            var groups = Array(repeating: String?.none, count: q.groupBy.count)
            for i in stride(from: q.groupBy.count - 1, through: 0, by: -1) {
                groups[i] = componentValues[i][composite % radices[i]]
                composite /= radices[i]
            }
            rows.append(StatsRow(value: q.metric == .count ? agg.counts[dense] : agg.uniques[dense], groups: groups, bucket: bucket))
        }
        if q.groupBy.isEmpty && q.interval == nil && rows.isEmpty { rows = [StatsRow(value: 0)] }
        rows.sort { a, b in
            if a.bucket != b.bucket { return (a.bucket ?? 0) < (b.bucket ?? 0) }
            return StatsRunner.groupsLess(a.groups, b.groups)
        }
        return StatsResult(metric: q.metric, groupBy: q.groupBy, rows: rows)
    }

    /// Two passes when keys are sparse: compact the keys met, then aggregate.
    private func sparseAggregate(
        _ q: StatsQuery, matches: (Int) -> Bool, compositeKey: (Int) -> Int, sparse: inout [Int: Int], sparseKeys: inout [Int]
    ) -> Aggregator {
        let snap = snapshot
        var rowKeys: [(key: Int, row: Int)] = []
        for row in 0..<snap.rowCount where matches(row) {
            let key = compositeKey(row)
            if let k = sparse[key] {
                rowKeys.append((k, row))
            } else {
                sparse[key] = sparseKeys.count
                sparseKeys.append(key)
                rowKeys.append((sparseKeys.count - 1, row))
            }
        }
        var agg = Aggregator(keyCount: sparseKeys.count, unitSpace: snap.unitSpace, wantUniques: q.metric == .uniques)
        var users = SparseColumnCursor(snap.user)
        for (key, row) in rowKeys {
            guard let unit = snap.unitID(row, kind: q.unit, rowUser: users.value(at: row)) else { continue }
            agg.add(key: key, unit: unit)
        }
        return agg
    }

    /// Null first, then by UTF-8 bytes, column by column.
    static func groupsLess(_ a: [String?], _ b: [String?]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            guard let x else { return true }
            guard let y else { return false }
            return utf8Less(x, y)
        }
        return false
    }

    func sources(_ q: SourcesQuery) -> SourcesResult {
        let snap = snapshot
        let from = q.from ?? .min, to = q.to ?? .max
        // Attribution ids collapse to (source, medium, campaign) triples.
        var tripleOf: [Int] = []
        var triples: [(String, String, String?)] = []
        var seen: [String: Int] = [:]
        for i in 0..<snap.attributions.count {
            let a = snap.attributions[i]
            let key = a.source + "\u{0}" + a.medium + "\u{0}" + (a.campaign.map { "1" + $0 } ?? "0")
            if let t = seen[key] {
                tripleOf.append(t)
            } else {
                seen[key] = triples.count
                tripleOf.append(triples.count)
                triples.append((a.source, a.medium, a.campaign))
            }
        }
        var agg = Aggregator(keyCount: triples.count, unitSpace: snap.unitSpace, wantUniques: true)
        var users = SparseColumnCursor(snap.user)
        for row in 0..<snap.rowCount {
            let t = snap.timestamp[row]
            guard t >= from && t < to, let unit = snap.unitID(row, kind: q.unit, rowUser: users.value(at: row)) else { continue }
            agg.add(key: tripleOf[Int(snap.attribution[row])], unit: unit)
        }
        agg.finish()
        var rows: [SourcesRow] = []
        for (i, t) in triples.enumerated() where agg.counts[i] > 0 {
            rows.append(SourcesRow(source: t.0, medium: t.1, campaign: t.2, events: agg.counts[i], uniques: agg.uniques[i]))
        }
        rows.sort { a, b in
            if a.events != b.events { return a.events > b.events }
            return StatsRunner.groupsLess([a.source, a.medium, a.campaign], [b.source, b.medium, b.campaign])
        }
        return SourcesResult(rows: rows)
    }
}
