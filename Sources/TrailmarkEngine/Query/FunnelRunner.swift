import TrailmarkWire

/// A funnel (SEMANTICS §4) or experiment funnel (§5) over one snapshot.
///
/// One pass over the rows in `[from, to)` keeps the events that can matter (step events,
/// exposures; every event when counting sessions, which derive sessions from gaps) with
/// their unit, tracking each unit's earliest event for `first_touch`. A counting sort
/// groups the kept rows by unit; each unit's rows are put in §2 order and walked
/// (`FunnelWalk`), per session when counting sessions.
///
/// Readings (docs/ENGINE.md): an experiment's sessions are derived from the events at or
/// after the exposure; with sessions, an experiment unit's X/Y of §5 are its session
/// counts; a `group` property that is not a string is keyed by its JSON text; with no
/// control group in the data there are no comparisons.
struct FunnelRunner {
    let snapshot: StoreSnapshot
    let plan: FunnelPlan

    /// 30 minutes: a longer gap between events without `session_id` starts a new session.
    static let sessionGapMicros: Int64 = 30 * 60 * 1_000_000

    private final class GroupAccumulator {
        let key: FunnelResult.GroupKey
        var reached: [UInt64]
        var times: [Int64] = []
        /// Experiments: per exposed unit, its count (0/1, or sessions) per step.
        var unitCounts: [[Double]] = []

        init(key: FunnelResult.GroupKey, steps: Int) {
            self.key = key
            reached = Array(repeating: 0, count: steps)
        }
    }

    /// Accumulators by group, with cheap indexes for the keys met per unit.
    private struct Groups {
        var all: [GroupAccumulator] = []
        var byKey: [FunnelResult.GroupKey: Int] = [:]
        /// First-touch breakdown: attribution id → group index (-1 unknown yet).
        var byAttribution: [Int] = []
        let steps: Int

        mutating func accumulator(_ key: FunnelResult.GroupKey) -> GroupAccumulator {
            if let i = byKey[key] { return all[i] }
            let acc = GroupAccumulator(key: key, steps: steps)
            byKey[key] = all.count
            all.append(acc)
            return acc
        }
    }

    func run() -> FunnelResult {
        let snap = snapshot
        let n = plan.stepCount
        let exposureNameID = plan.experiment == nil ? nil : nameID(FunnelPlan.exposureEvent)
        var nameMask = Array(repeating: UInt32(0), count: snap.names.count)
        var filteredMask: UInt32 = 0
        for (k, step) in plan.steps.enumerated() where !(plan.exposureFirst && k == 0) {
            if let id = nameID(step.event) { nameMask[Int(id)] |= 1 << UInt32(k) }
            if !step.filters.isEmpty { filteredMask |= 1 << UInt32(k) }
        }
        // Sessions depend on gaps between all events; first touch on the earliest of all.
        let keepAll = plan.count == .sessions || plan.breakdown == .firstTouch
        let unitSpace = snap.unitSpace

        // Pass 1 (sequential over the columns): the rows that matter, with their unit.
        var keptRows: [Int32] = []
        var keptUnits: [Int32] = []
        var keptNames: [UInt32] = []
        var perUnit = Array(repeating: Int32(0), count: unitSpace + 1)
        var users = SparseColumnCursor(snap.user)
        snap.timestamp.forEachChunk(in: 0..<snap.rowCount) { buffer, start in
            for i in 0..<buffer.count {
                let t = buffer[i]
                guard t >= plan.from && t < plan.to else { continue }
                let row = start + i
                let nm = snap.name[row]
                guard keepAll || nameMask[Int(nm)] != 0 || nm == exposureNameID,
                    let unit = snap.unitID(row, kind: plan.unit, rowUser: users.value(at: row))
                else { continue }
                keptRows.append(Int32(row))
                keptUnits.append(Int32(unit))
                keptNames.append(nm)
                perUnit[unit + 1] += 1
            }
        }
        // Counting sort by unit (stable: row order within a unit), copying what the walk
        // reads so the per-unit work touches contiguous memory only.
        for u in 0..<unitSpace { perUnit[u + 1] += perUnit[u] }
        var cursor = perUnit
        var sortedRows = Array(repeating: Int32(0), count: keptRows.count)
        var sortedTimes = Array(repeating: Int64(0), count: keptRows.count)
        var sortedNames = Array(repeating: UInt32(0), count: keptRows.count)
        for (i, u) in keptUnits.enumerated() {
            let at = Int(cursor[Int(u)])
            let row = keptRows[i]
            sortedRows[at] = row
            sortedTimes[at] = snap.timestamp[Int(row)]
            sortedNames[at] = keptNames[i]
            cursor[Int(u)] += 1
        }
        keptRows = []
        keptUnits = []
        keptNames = []
        cursor = []

        let (properties, filters) = propertyReader()
        let walk = FunnelWalk(windows: plan.windows, window: plan.window, strict: plan.strict, allowance: plan.allowance, stepCount: n)
        var groups = Groups(steps: n)
        if plan.breakdown == nil && plan.experiment == nil { _ = groups.accumulator(.all) }
        if plan.breakdown == .firstTouch { groups.byAttribution = Array(repeating: -1, count: snap.attributions.count) }

        var rows: [Int] = []
        var times: [Int64] = []
        var masks: [UInt32] = []
        var used: [Int] = []
        var counts = Array(repeating: 0.0, count: n)
        for unit in 0..<unitSpace {
            let lo = Int(perUnit[unit]), hi = Int(perUnit[unit + 1])
            if lo == hi { continue }
            rows.removeAll(keepingCapacity: true)
            times.removeAll(keepingCapacity: true)
            masks.removeAll(keepingCapacity: true)
            var sorted = true
            for i in lo..<hi {
                rows.append(Int(sortedRows[i]))
                times.append(sortedTimes[i])
                masks.append(nameMask[Int(sortedNames[i])])
                if i > lo && (sortedTimes[i] < sortedTimes[i - 1] || (sortedTimes[i] == sortedTimes[i - 1] && !snap.seqAscending)) { sorted = false }
            }
            if !sorted {
                rows.sort { snap.precedes($0, $1) }
                times = rows.map { snap.timestamp[$0] }
                masks = rows.map { nameMask[Int(snap.name[$0])] }
            }
            // §2 order holds from here on.
            var begin = 0
            var experimentKey: FunnelResult.GroupKey?
            var exposureRow: Int?
            if let experiment = plan.experiment, let exposureNameID {
                guard let (row, group) = firstExposure(rows, experiment: experiment.name, exposureNameID: exposureNameID, properties: properties) else { continue }
                let t0 = snap.timestamp[row]
                while times[begin] < t0 { begin += 1 }  // the exposure itself has t0, so this stops
                experimentKey = .experimentGroup(group)
                exposureRow = row
            }
            let earliestRow = rows[0]
            if filteredMask != 0 {
                for i in 0..<rows.count where masks[i] & filteredMask != 0 {
                    masks[i] = applyFilters(row: rows[i], mask: masks[i], filtered: filteredMask, properties: properties, filters: filters)
                }
            }

            func accumulator(stepOneRow: Int) -> GroupAccumulator {
                if let experimentKey { return groups.accumulator(experimentKey) }
                switch plan.breakdown {
                case nil: return groups.all[0]
                case .property: return groups.accumulator(.property(properties.value(stepOneRow, key: 0)))
                case .firstTouch:
                    let attr = Int(snap.attribution[earliestRow])
                    let g = groups.byAttribution[attr]
                    if g >= 0 { return groups.all[g] }
                    let a = snap.attributions[attr]
                    let acc = groups.accumulator(.firstTouch(source: a.source, medium: a.medium))
                    groups.byAttribution[attr] = groups.byKey[acc.key] ?? -1
                    return acc
                }
            }

            for k in 0..<n { counts[k] = 0 }
            if plan.count == .units {
                let forced = plan.exposureFirst ? rows[begin...].firstIndex(of: exposureRow ?? -1).map { $0 - begin } : nil
                let outcome = times[begin...].withUnsafeBufferPointer { t in
                    masks[begin...].withUnsafeBufferPointer { m in walk.run(timestamps: t, masks: m, firstIndex: forced, used: &used) }
                }
                if outcome.depth > 0 {
                    let acc = accumulator(stepOneRow: rows[begin + outcome.firstIndex])
                    for k in 0..<outcome.depth {
                        acc.reached[k] += 1
                        counts[k] += 1
                    }
                    if outcome.depth == n { acc.times.append(outcome.lastTime - outcome.firstTime) }
                }
            } else {
                // Sessions: positions (into rows/times/masks) of each session's events.
                for session in sessions(Array(rows[begin...])) {
                    let t = session.map { times[begin + $0] }
                    let m = session.map { masks[begin + $0] }
                    let outcome = t.withUnsafeBufferPointer { tb in
                        m.withUnsafeBufferPointer { mb in walk.run(timestamps: tb, masks: mb, firstIndex: nil, used: &used) }
                    }
                    guard outcome.depth > 0 else { continue }
                    let acc = accumulator(stepOneRow: rows[begin + session[outcome.firstIndex]])
                    for k in 0..<outcome.depth {
                        acc.reached[k] += 1
                        counts[k] += 1
                    }
                    if outcome.depth == n { acc.times.append(outcome.lastTime - outcome.firstTime) }
                }
            }
            if let experimentKey { groups.accumulator(experimentKey).unitCounts.append(counts) }
        }
        return result(groups.all)
    }

    private func result(_ groups: [GroupAccumulator]) -> FunnelResult {
        let n = plan.stepCount
        let sorted = groups.map { (key: $0.key, text: $0.key.jsonText, acc: $0) }.sorted { utf8Less($0.text, $1.text) }
        var out: [FunnelResult.Group] = []
        for g in sorted {
            let r = g.acc.reached
            var steps: [FunnelResult.Step] = []
            for k in 0..<n {
                var conversion: Double? = 1.0
                if k > 0 { conversion = r[k - 1] == 0 ? nil : Double(r[k]) / Double(r[k - 1]) }
                let overall: Double? = r[0] == 0 ? nil : Double(r[k]) / Double(r[0])
                steps.append(FunnelResult.Step(event: plan.steps[k].event, reached: r[k], conversion: conversion, overall: overall))
            }
            out.append(
                FunnelResult.Group(
                    key: g.key, exposed: plan.experiment == nil ? nil : UInt64(g.acc.unitCounts.count), steps: steps,
                    timeToComplete: ExperimentMath.timeToComplete(g.acc.times)
                )
            )
        }
        guard let experiment = plan.experiment, let control = groups.first(where: { $0.key == .experimentGroup(experiment.control) }) else {
            return FunnelResult(groups: out)
        }
        func rates(_ acc: GroupAccumulator) -> [(stepwise: (rate: Double?, variance: Double?), overall: (rate: Double?, variance: Double?))] {
            (0..<n).map { k in
                let y = acc.unitCounts.map { $0[k] }
                let xStep = k == 0 ? Array(repeating: 1.0, count: y.count) : acc.unitCounts.map { $0[k - 1] }
                let xAll = acc.unitCounts.map { $0[0] }
                return (ExperimentMath.rate(x: xStep, y: y), ExperimentMath.rate(x: xAll, y: y))
            }
        }
        let controlRates = rates(control)
        var comparisons: [FunnelResult.GroupComparison] = []
        for g in sorted where g.key != .experimentGroup(experiment.control) {
            guard case .experimentGroup(let name) = g.key else { continue }
            let t = rates(g.acc)
            comparisons.append(
                FunnelResult.GroupComparison(
                    group: name,
                    steps: (0..<n).map { k in
                        FunnelResult.StepComparison(
                            stepwise: ExperimentMath.compare(treatment: t[k].stepwise, control: controlRates[k].stepwise),
                            overall: ExperimentMath.compare(treatment: t[k].overall, control: controlRates[k].overall)
                        )
                    }
                )
            )
        }
        return FunnelResult(groups: out, comparisons: comparisons)
    }

    private func nameID(_ name: String) -> UInt32? {
        for i in 0..<snapshot.names.count where snapshot.names[i] == name { return UInt32(i) }
        return nil
    }

    /// The property keys the plan reads, in a fixed order: the breakdown key first (index
    /// 0), then `experiment` and `group` for an experiment (0 and 1), then filter keys.
    private var propertyKeys: [String] {
        var keys: [String] = []
        if case .property(let name) = plan.breakdown { keys.append(name) }
        if plan.experiment != nil { keys += ["experiment", "group"] }
        for step in plan.steps {
            for f in step.filters where !keys.contains(f.key) { keys.append(f.key) }
        }
        return keys
    }

    /// The reader of `propertyKeys`, and per effective step its filters as (key index, value).
    private func propertyReader() -> (PropertyReader, [[(key: Int, value: PropertyValue)]]) {
        let reader = PropertyReader(snapshot: snapshot, keys: propertyKeys)
        let filters = plan.steps.map { step in
            step.filters.map { f in (key: reader.keys.firstIndex(of: f.key)!, value: f.value) }  // `propertyKeys` lists every filter key
        }
        return (reader, filters)
    }

    /// Clears the bits of filtered steps whose property filters the row fails (a missing
    /// property equals a null filter value).
    private func applyFilters(row: Int, mask: UInt32, filtered: UInt32, properties: PropertyReader, filters: [[(key: Int, value: PropertyValue)]]) -> UInt32 {
        var m = mask
        for k in filters.indices where m & filtered & (1 << UInt32(k)) != 0 {
            for f in filters[k] where properties.value(row, key: f.key) != f.value {
                m &= ~(1 << UInt32(k))
                break
            }
        }
        return m
    }

    /// The unit's first exposure to the experiment (rows in §2 order) and its group.
    private func firstExposure(_ rows: [Int], experiment: String, exposureNameID: UInt32, properties: PropertyReader) -> (Int, String?)? {
        let target = PropertyValue.string(experiment)
        for row in rows where snapshot.name[row] == exposureNameID {
            guard properties.value(row, key: 0) == target else { continue }  // key 0: `experiment`
            switch properties.value(row, key: 1) {  // key 1: `group`
            case .null: return (row, nil)
            case .string(let g): return (row, g)
            case let other: return (row, other.jsonText)
            }
        }
        return nil
    }

    /// Splits a unit's rows (§2 order) into sessions: by `session_id` when set, else per
    /// anonymous id with a new session after a gap of more than 30 minutes. Returns each
    /// session's positions in `rows`.
    private func sessions(_ rows: [Int]) -> [[Int]] {
        var out: [[Int]] = []
        var byID: [UInt32: Int] = [:]
        var byAnon: [UInt32: (index: Int, last: Int64)] = [:]
        for (position, row) in rows.enumerated() {
            let s = snapshot.session[row]
            let index: Int
            if s != StringDictionary.none {
                if let i = byID[s] {
                    index = i
                } else {
                    index = out.count
                    byID[s] = index
                    out.append([])
                }
            } else {
                let a = snapshot.anon[row], t = snapshot.timestamp[row]
                if let current = byAnon[a], t - current.last <= FunnelRunner.sessionGapMicros {
                    index = current.index
                } else {
                    index = out.count
                    out.append([])
                }
                byAnon[a] = (index, t)
            }
            out[index].append(position)
        }
        return out
    }
}
