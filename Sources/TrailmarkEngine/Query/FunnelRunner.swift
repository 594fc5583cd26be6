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
        var reached: [UInt64]
        var times: [Int64] = []
        /// Experiments: per exposed unit, its count (0/1, or sessions) per step.
        var unitCounts: [[Double]] = []

        init(steps: Int) { reached = Array(repeating: 0, count: steps) }
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
        let keepAll = plan.count == .sessions
        let needFirstTouch = plan.breakdown == .firstTouch
        let unitSpace = snap.unitSpace
        var firstRow = needFirstTouch ? Array(repeating: Int32(-1), count: unitSpace) : []
        var keptRows: [Int32] = []
        var keptUnits: [Int32] = []
        var perUnit = Array(repeating: Int32(0), count: unitSpace + 1)

        for row in 0..<snap.rowCount {
            let t = snap.timestamp[row]
            guard t >= plan.from && t < plan.to else { continue }
            let nm = snap.name[row]
            let relevant = keepAll || nameMask[Int(nm)] != 0 || nm == exposureNameID
            guard relevant || needFirstTouch, let unit = snap.unitID(row, kind: plan.unit) else { continue }
            if needFirstTouch {
                let f = firstRow[unit]
                if f < 0 || snap.precedes(row, Int(f)) { firstRow[unit] = Int32(row) }
            }
            if relevant {
                keptRows.append(Int32(row))
                keptUnits.append(Int32(unit))
                perUnit[unit + 1] += 1
            }
        }
        // Counting sort by unit (stable: rows stay in ingest order within a unit).
        for u in 0..<unitSpace { perUnit[u + 1] += perUnit[u] }
        var cursor = perUnit
        var byUnit = Array(repeating: Int32(0), count: keptRows.count)
        for (i, u) in keptUnits.enumerated() {
            byUnit[Int(cursor[Int(u)])] = keptRows[i]
            cursor[Int(u)] += 1
        }
        keptRows = []
        keptUnits = []

        let walk = FunnelWalk(windows: plan.windows, window: plan.window, strict: plan.strict, allowance: plan.allowance, stepCount: n)
        var groups: [FunnelResult.GroupKey: GroupAccumulator] = [:]
        if plan.breakdown == nil && plan.experiment == nil { groups[.all] = GroupAccumulator(steps: n) }

        var rows: [Int] = []
        for unit in 0..<unitSpace {
            let lo = Int(perUnit[unit]), hi = Int(perUnit[unit + 1])
            if lo == hi { continue }
            rows.removeAll(keepingCapacity: true)
            for i in lo..<hi { rows.append(Int(byUnit[i])) }
            if !isSorted(rows) { rows.sort { snap.precedes($0, $1) } }

            var experimentGroup: FunnelResult.GroupKey?
            var exposureRow: Int?
            if let experiment = plan.experiment, let exposureNameID {
                guard let (row, group) = firstExposure(rows, experiment: experiment.name, exposureNameID: exposureNameID) else { continue }
                let t0 = snap.timestamp[row]
                rows.removeAll { snap.timestamp[$0] < t0 }
                experimentGroup = .experimentGroup(group)
                exposureRow = row
            }

            func masks(_ rows: [Int]) -> [UInt32] {
                rows.map { row in
                    var m = nameMask[Int(snap.name[row])]
                    if m & filteredMask != 0 { m = applyFilters(row: row, mask: m, filtered: filteredMask) }
                    return m
                }
            }
            func key(stepOneRow: Int) -> FunnelResult.GroupKey {
                if let experimentGroup { return experimentGroup }
                switch plan.breakdown {
                case nil: return .all
                case .property(let name): return .property(snap.properties(stepOneRow)[name] ?? .null)
                case .firstTouch:
                    let a = snap.attributions[Int(snap.attribution[Int(firstRow[unit])])]
                    return .firstTouch(source: a.source, medium: a.medium)
                }
            }
            func accumulator(_ k: FunnelResult.GroupKey) -> GroupAccumulator {
                if let acc = groups[k] { return acc }
                let acc = GroupAccumulator(steps: n)
                groups[k] = acc
                return acc
            }

            var counts = Array(repeating: 0.0, count: n)
            let sequences = plan.count == .sessions ? sessions(rows) : [rows]
            for sequence in sequences {
                let forced = plan.exposureFirst ? sequence.firstIndex(of: exposureRow ?? -1) : nil
                let outcome = walk.run(timestamps: sequence.map { snap.timestamp[$0] }, masks: masks(sequence), firstIndex: forced)
                guard outcome.depth > 0 else { continue }
                let acc = accumulator(key(stepOneRow: sequence[outcome.firstIndex]))
                for k in 0..<outcome.depth {
                    acc.reached[k] += 1
                    counts[k] += 1
                }
                if outcome.depth == n { acc.times.append(outcome.lastTime - outcome.firstTime) }
            }
            if let experimentGroup { accumulator(experimentGroup).unitCounts.append(counts) }
        }
        return result(groups)
    }

    private func result(_ groups: [FunnelResult.GroupKey: GroupAccumulator]) -> FunnelResult {
        let n = plan.stepCount
        let sorted = groups.map { (key: $0.key, text: $0.key.jsonText, acc: $0.value) }.sorted { utf8Less($0.text, $1.text) }
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
        guard let experiment = plan.experiment, let control = groups[.experimentGroup(experiment.control)] else {
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

    private func isSorted(_ rows: [Int]) -> Bool {
        var i = 1
        while i < rows.count {
            if snapshot.precedes(rows[i], rows[i - 1]) { return false }
            i += 1
        }
        return true
    }

    /// Clears the bits of filtered steps whose property filters the row fails.
    private func applyFilters(row: Int, mask: UInt32, filtered: UInt32) -> UInt32 {
        let props = snapshot.properties(row)
        var m = mask
        for (k, step) in plan.steps.enumerated() where m & filtered & (1 << UInt32(k)) != 0 {
            for f in step.filters {
                let v = props[f.key]
                let ok = f.value == .null ? (v == nil || v == .null) : v == f.value
                if !ok {
                    m &= ~(1 << UInt32(k))
                    break
                }
            }
        }
        return m
    }

    /// The unit's first exposure to the experiment (rows in §2 order) and its group.
    private func firstExposure(_ rows: [Int], experiment: String, exposureNameID: UInt32) -> (Int, String?)? {
        for row in rows where snapshot.name[row] == exposureNameID {
            let props = snapshot.properties(row)
            guard props["experiment"] == .string(experiment) else { continue }
            switch props["group"] {
            case nil, .null: return (row, nil)
            case .string(let g): return (row, g)
            case let other?: return (row, other.jsonText)
            }
        }
        return nil
    }

    /// Splits a unit's rows (§2 order) into sessions: by `session_id` when set, else per
    /// anonymous id with a new session after a gap of more than 30 minutes.
    private func sessions(_ rows: [Int]) -> [[Int]] {
        var out: [[Int]] = []
        var byID: [UInt32: Int] = [:]
        var byAnon: [UInt32: (index: Int, last: Int64)] = [:]
        for row in rows {
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
            out[index].append(row)
        }
        return out
    }
}
