import TrailmarkWire

/// A validated `FunnelQuery` (SEMANTICS §4, §5) in effective-step form: with
/// `exposureAsFirstStep`, effective step 0 is the exposure and listed step i is
/// effective step i + 1; `windows` has one entry per effective step.
struct FunnelPlan: Sendable {
    static let exposureEvent = "$exposure"
    static let maxSteps = 20

    let from: Int64
    let to: Int64
    /// Effective steps; the exposure step (when first) has event `$exposure`, no filters.
    let steps: [FunnelQuery.Step]
    let exposureFirst: Bool
    let windows: [Int64?]
    let window: Int64?
    let strict: Bool
    let allowance: Int64
    let count: CountMode
    let unit: UnitKind
    let breakdown: FunnelQuery.Breakdown?
    let experiment: FunnelQuery.Experiment?

    var stepCount: Int { steps.count }

    init(_ q: FunnelQuery) throws(EngineError) {
        let exposureFirst = q.experiment?.exposureAsFirstStep ?? false
        if let e = q.experiment {
            guard !e.name.isEmpty else { throw EngineError(field: "experiment.name", "experiment name is empty") }
            guard q.breakdown == nil else {
                throw EngineError(field: "breakdown", "an experiment funnel is grouped by experiment group; breakdown cannot be combined with it")
            }
            if e.exposureAsFirstStep && q.count == .sessions {
                throw EngineError(field: "experiment.exposure_as_first_step", "exposure_as_first_step cannot be used with count=sessions")
            }
        }
        let effective = (exposureFirst ? [FunnelQuery.Step(event: FunnelPlan.exposureEvent)] : []) + q.steps
        guard effective.count >= 2 && effective.count <= FunnelPlan.maxSteps else {
            throw EngineError(field: "steps", "a funnel has 2...20 steps (the exposure counting as one), got \(effective.count)")
        }
        for (i, s) in q.steps.enumerated() where s.event.isEmpty {
            throw EngineError(field: "steps[\(i)].event", "step event name is empty")
        }
        guard q.from <= q.to else { throw EngineError(field: "to", "to (\(q.to)) is before from (\(q.from))") }
        if !q.windows.isEmpty {
            guard q.windows.count == effective.count else {
                throw EngineError(field: "windows", "windows has \(q.windows.count) entries for \(effective.count) steps")
            }
            guard q.windows[0] == nil else { throw EngineError(field: "windows[0]", "the first step has no conversion window") }
            for (i, w) in q.windows.enumerated() where (w ?? 0) < 0 {
                throw EngineError(field: "windows[\(i)]", "window must not be negative")
            }
        }
        if let w = q.window, w < 0 { throw EngineError(field: "window", "window must not be negative") }
        guard q.allowance >= 0 else { throw EngineError(field: "allowance", "allowance must not be negative") }
        from = q.from
        to = q.to
        steps = effective
        self.exposureFirst = exposureFirst
        windows = q.windows.isEmpty ? Array(repeating: nil, count: effective.count) : q.windows
        window = q.window
        strict = q.strict
        allowance = q.allowance
        count = q.count
        unit = q.unit
        breakdown = q.breakdown
        experiment = q.experiment
    }
}
