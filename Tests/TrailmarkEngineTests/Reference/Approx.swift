import Testing
import TrailmarkWire

/// Floats agree within 1e-9 relative (plus 1e-12 absolute, for values that are 0 in exact
/// arithmetic); nil only matches nil.
func approx(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return abs(x - y) <= 1e-9 * max(abs(x), abs(y)) + 1e-12
    default: return false
    }
}

/// Records an issue for every difference between two funnel answers.
func expectSameFunnel(_ engine: FunnelResult, _ reference: FunnelResult, _ context: String) {
    #expect(engine.groups.map(\.key) == reference.groups.map(\.key), "group keys: \(context)")
    for (e, r) in zip(engine.groups, reference.groups) {
        #expect(e.exposed == r.exposed, "exposed \(e.key): \(context)")
        #expect(e.steps.map(\.reached) == r.steps.map(\.reached), "reached \(e.key): \(context)")
        #expect(e.steps.map(\.event) == r.steps.map(\.event), "events: \(context)")
        for (se, sr) in zip(e.steps, r.steps) {
            #expect(approx(se.conversion, sr.conversion) && approx(se.overall, sr.overall), "rates \(e.key): \(context)")
        }
        let te = e.timeToComplete, tr = r.timeToComplete
        #expect(te.n == tr.n && approx(te.mean, tr.mean) && approx(te.median, tr.median) && approx(te.p90, tr.p90), "time to complete \(te) vs \(tr): \(context)")
    }
    #expect(engine.comparisons.map(\.group) == reference.comparisons.map(\.group), "comparison groups: \(context)")
    for (e, r) in zip(engine.comparisons, reference.comparisons) {
        for (k, (se, sr)) in zip(e.steps, r.steps).enumerated() {
            for (ce, cr) in [(se.stepwise, sr.stepwise), (se.overall, sr.overall)] {
                let same = approx(ce.diff, cr.diff) && approx(ce.ciLow, cr.ciLow) && approx(ce.ciHigh, cr.ciHigh)
                    && approx(ce.pValue, cr.pValue) && approx(ce.lift, cr.lift) && approx(ce.liftVariance, cr.liftVariance)
                #expect(same, "comparison \(e.group ?? "null") step \(k): \(ce) vs \(cr): \(context)")
            }
        }
    }
}
