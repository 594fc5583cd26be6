#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TrailmarkWire

/// SEMANTICS §4 and §5 written out literally over the reference model: per unit, its
/// events in §2 order; each step picks, among all events that qualify, the smallest
/// `(timestamp, seq)`.
extension ReferenceModel {
    func funnel(_ q: FunnelQuery) -> FunnelResult {
        let exposureFirst = q.experiment?.exposureAsFirstStep ?? false
        let steps = (exposureFirst ? [FunnelQuery.Step(event: "$exposure")] : []) + q.steps
        let n = steps.count
        let windows = q.windows.isEmpty ? Array(repeating: Int64?.none, count: n) : q.windows

        let inRange = visible.filter { $0.timestamp! >= q.from && $0.timestamp! < q.to }
        var byUnit: [String: [Event]] = [:]
        for e in inRange { byUnit[unitOf(e, q.unit), default: []].append(e) }

        func matches(_ e: Event, _ k: Int) -> Bool {
            guard e.event == steps[k].event else { return false }
            for f in steps[k].filters {
                let v = e.properties[f.key]
                if f.value == .null {
                    if !(v == nil || v == .null) { return false }
                } else if v != f.value {
                    return false
                }
            }
            return true
        }

        /// The walk; returns the chosen events (empty when step 1 is not reached).
        func walk(_ events: [Event], forcedFirst: Event?) -> [Event] {
            let first = forcedFirst ?? events.first { matches($0, 0) }
            guard let first else { return [] }
            var chosen = [first]
            for k in 1..<n {
                let previous = chosen.last!.timestamp!, t1 = first.timestamp!
                let candidates = events.filter { e in
                    let t = e.timestamp!
                    if !matches(e, k) { return false }
                    if chosen.contains(where: { $0.seq == e.seq }) { return false }
                    if q.strict ? !(t > previous - q.allowance) : !(t >= previous - q.allowance) { return false }
                    if let w = windows[k], t - previous > w { return false }
                    if let w = q.window, t - t1 > w { return false }
                    return true
                }
                guard let best = candidates.min(by: ReferenceModel.before) else { break }
                chosen.append(best)
            }
            return chosen
        }

        func sessions(_ events: [Event]) -> [[Event]] {
            var out: [String: [Event]] = [:]
            var order: [String] = []
            var lastByAnon: [String: (time: Int64, key: String)] = [:]
            for e in events {
                let key: String
                if let s = e.sessionID {
                    key = "id:" + s
                } else if let last = lastByAnon[e.anonymousID], e.timestamp! - last.time <= 30 * 60 * 1_000_000 {
                    key = last.key
                } else {
                    key = "derived:\(order.count)"
                }
                if e.sessionID == nil { lastByAnon[e.anonymousID] = (e.timestamp!, key) }
                if out[key] == nil { order.append(key) }
                out[key, default: []].append(e)
            }
            return order.map { out[$0]! }
        }

        struct Acc {
            var reached: [UInt64]
            var times: [Int64] = []
            var perUnit: [[Double]] = []
        }
        var groups: [String: (key: FunnelResult.GroupKey, acc: Acc)] = [:]
        func add(_ key: FunnelResult.GroupKey) {
            let text = refJSON(key)
            if groups[text] == nil { groups[text] = (key, Acc(reached: Array(repeating: 0, count: n))) }
        }
        if q.breakdown == nil && q.experiment == nil { add(.all) }

        for (_, unsorted) in byUnit {
            var events = unsorted.sorted(by: ReferenceModel.before)
            var groupOverride: FunnelResult.GroupKey?
            var exposure: Event?
            if let x = q.experiment {
                guard let exp = events.first(where: { $0.event == "$exposure" && $0.properties["experiment"] == .string(x.name) }) else { continue }
                exposure = exp
                let g: String?
                switch exp.properties["group"] {
                case nil, .null?: g = nil
                case .string(let s)?: g = s
                case let other?: g = refJSONValue(other)
                }
                groupOverride = .experimentGroup(g)
                events = events.filter { $0.timestamp! >= exp.timestamp! }
                add(groupOverride!)
            }
            let earliest = events.isEmpty ? nil : unsorted.min(by: ReferenceModel.before)
            var unitCounts = Array(repeating: 0.0, count: n)
            let runs = q.count == .sessions ? sessions(events) : [events]
            for run in runs {
                let chosen = walk(run, forcedFirst: exposureFirst ? (run.contains { $0.seq == exposure!.seq } ? exposure : nil) : nil)
                if chosen.isEmpty { continue }
                let key: FunnelResult.GroupKey
                if let g = groupOverride {
                    key = g
                } else {
                    switch q.breakdown {
                    case nil: key = .all
                    case .property(let p)?: key = .property(chosen[0].properties[p] ?? .null)
                    case .firstTouch?: key = .firstTouch(source: earliest!.attribution!.source, medium: earliest!.attribution!.medium)
                    }
                }
                add(key)
                let text = refJSON(key)
                for k in 0..<chosen.count {
                    groups[text]!.acc.reached[k] += 1
                    unitCounts[k] += 1
                }
                if chosen.count == n { groups[text]!.acc.times.append(chosen.last!.timestamp! - chosen[0].timestamp!) }
            }
            if let g = groupOverride { groups[refJSON(g)]!.acc.perUnit.append(unitCounts) }
        }

        let sortedTexts = groups.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var out: [FunnelResult.Group] = []
        for text in sortedTexts {
            let (key, acc) = groups[text]!
            var resultSteps: [FunnelResult.Step] = []
            for k in 0..<n {
                let r = acc.reached
                let conversion: Double? = k == 0 ? 1.0 : (r[k - 1] == 0 ? nil : Double(r[k]) / Double(r[k - 1]))
                let overall: Double? = r[0] == 0 ? nil : Double(r[k]) / Double(r[0])
                resultSteps.append(FunnelResult.Step(event: steps[k].event, reached: r[k], conversion: conversion, overall: overall))
            }
            out.append(FunnelResult.Group(key: key, exposed: q.experiment == nil ? nil : UInt64(acc.perUnit.count), steps: resultSteps, timeToComplete: refTimes(acc.times)))
        }
        guard let x = q.experiment, let control = groups[refJSON(.experimentGroup(x.control))] else { return FunnelResult(groups: out) }
        var comparisons: [FunnelResult.GroupComparison] = []
        for text in sortedTexts where text != refJSON(.experimentGroup(x.control)) {
            let (key, acc) = groups[text]!
            guard case .experimentGroup(let name) = key else { continue }
            var stepComparisons: [FunnelResult.StepComparison] = []
            for k in 0..<n {
                func stepwise(_ a: Acc) -> (Double?, Double?) {
                    refDelta(x: a.perUnit.map { k == 0 ? 1 : $0[k - 1] }, y: a.perUnit.map { $0[k] })
                }
                func overall(_ a: Acc) -> (Double?, Double?) {
                    refDelta(x: a.perUnit.map { $0[0] }, y: a.perUnit.map { $0[k] })
                }
                stepComparisons.append(
                    FunnelResult.StepComparison(
                        stepwise: refCompare(stepwise(acc), stepwise(control.acc)), overall: refCompare(overall(acc), overall(control.acc))
                    )
                )
            }
            comparisons.append(FunnelResult.GroupComparison(group: name, steps: stepComparisons))
        }
        return FunnelResult(groups: out, comparisons: comparisons)
    }
}

/// The delta-method variance exactly as §5 writes it, with population moments. Terms
/// that cancel to within 1e-12 of their size count as 0 (the formula's mathematical value).
func refDelta(x: [Double], y: [Double]) -> (Double?, Double?) {
    let n = Double(x.count)
    guard x.reduce(0, +) > 0 else { return (nil, nil) }
    let mX = x.reduce(0, +) / n, mY = y.reduce(0, +) / n
    let varX = x.map { ($0 - mX) * ($0 - mX) }.reduce(0, +) / n
    let varY = y.map { ($0 - mY) * ($0 - mY) }.reduce(0, +) / n
    let cov = zip(x, y).map { ($0 - mX) * ($1 - mY) }.reduce(0, +) / n
    let a = varY / (mX * mX), b = 2 * mY * cov / (mX * mX * mX), c = mY * mY * varX / (mX * mX * mX * mX)
    var v = a - b + c
    if abs(v) <= 1e-12 * max(abs(a), abs(b), abs(c)) { v = 0 }
    return (y.reduce(0, +) / x.reduce(0, +), v / n)
}

func refCompare(_ t: (Double?, Double?), _ c: (Double?, Double?)) -> FunnelResult.Comparison {
    guard let rt = t.0, let vt = t.1, let rc = c.0, let vc = c.1 else {
        return FunnelResult.Comparison(diff: nil, ciLow: nil, ciHigh: nil, pValue: nil, lift: nil, liftVariance: nil)
    }
    let diff = rt - rc
    let se = sqrt(vt + vc)
    // Two-sided p-value: 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2).
    let p: Double? = se == 0 ? nil : erfc(abs(diff) / se / sqrt(2.0))
    return FunnelResult.Comparison(
        diff: diff, ciLow: diff - 1.959964 * se, ciHigh: diff + 1.959964 * se, pValue: p,
        lift: rc == 0 ? nil : rt / rc - 1, liftVariance: rc == 0 ? nil : vt / pow(rc, 2) + pow(rt, 2) * vc / pow(rc, 4)
    )
}

/// Mean; median (mean of the middle two for an even count); p90 by linear interpolation
/// between closest ranks at position 0.9·(n−1).
func refTimes(_ times: [Int64]) -> FunnelResult.TimeToComplete {
    if times.isEmpty { return FunnelResult.TimeToComplete(n: 0, mean: nil, median: nil, p90: nil) }
    let s = times.sorted().map(Double.init)
    let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    let h = 0.9 * Double(s.count - 1)
    let below = floor(h)
    let p90 = below + 1 < Double(s.count) ? s[Int(below)] + (h - below) * (s[Int(below) + 1] - s[Int(below)]) : s[Int(below)]
    return FunnelResult.TimeToComplete(n: UInt64(s.count), mean: s.reduce(0, +) / Double(s.count), median: median, p90: p90)
}

func refJSON(_ key: FunnelResult.GroupKey) -> String {
    switch key {
    case .all: return "null"
    case .property(let v): return refJSONValue(v)
    case .firstTouch(let s, let m): return "[" + refJSONString(s) + "," + refJSONString(m) + "]"
    case .experimentGroup(let g): return g == nil ? "null" : refJSONString(g!)  // checked non-nil
    }
}

func refJSONValue(_ v: PropertyValue) -> String {
    switch v {
    case .string(let s): return refJSONString(s)
    case .int(let i): return "\(i)"
    case .double(let d): return "\(d)"
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    }
}

/// JSON string literal (the generator only makes strings that need `"` and `\` escaped).
func refJSONString(_ s: String) -> String {
    var out = "\""
    for ch in s {
        if ch == "\\" || ch == "\"" { out.append("\\") }
        out.append(ch)
    }
    return out + "\""
}
