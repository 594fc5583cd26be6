/// A funnel (SEMANTICS §4) or experiment funnel (§5): `trailmark.v1.Query/Funnel`,
/// `GET|POST /v1/funnel`. Durations are microseconds.
public struct FunnelQuery: Hashable, Sendable {
    /// One step: an event name and optional property equality filters. A filter value of
    /// `.null` matches an explicit null and a missing property; other values match only
    /// an equal value of the same type.
    public struct Step: Hashable, Sendable {
        public var event: String
        public var filters: Properties

        public init(event: String, filters: Properties = [:]) {
            self.event = event
            self.filters = filters
        }
    }

    /// Breakdown of the answer into groups.
    public enum Breakdown: Hashable, Sendable {
        /// By a property of the unit's (or session's) step-1 event; missing = null.
        case property(String)
        /// By `source`/`medium` of the unit's earliest event inside `[from, to)`.
        case firstTouch
    }

    /// Experiment funnel options (SEMANTICS §5).
    public struct Experiment: Hashable, Sendable {
        public var name: String
        /// The control group's name (default `control`).
        public var control: String
        /// The exposure itself is step 1 (incompatible with `count = sessions`).
        public var exposureAsFirstStep: Bool

        public init(name: String, control: String = "control", exposureAsFirstStep: Bool = false) {
            self.name = name
            self.control = control
            self.exposureAsFirstStep = exposureAsFirstStep
        }
    }

    public var from: Int64
    public var to: Int64
    /// 2...20 steps (with `exposureAsFirstStep`, 1...19 listed steps plus the exposure).
    public var steps: [Step]
    /// Per effective step, the window after the previous step; entry 0 is always `nil`.
    /// Empty means no per-step windows. With `exposureAsFirstStep`, entry 0 is the exposure.
    public var windows: [Int64?]
    /// Calculation window: time allowed after step 1.
    public var window: Int64?
    public var strict: Bool
    /// Timestamp allowance, microseconds (>= 0).
    public var allowance: Int64
    public var count: CountMode
    public var unit: UnitKind
    public var breakdown: Breakdown?
    public var experiment: Experiment?

    public init(
        from: Int64, to: Int64, steps: [Step], windows: [Int64?] = [], window: Int64? = nil,
        strict: Bool = false, allowance: Int64 = 0, count: CountMode = .units, unit: UnitKind = .user,
        breakdown: Breakdown? = nil, experiment: Experiment? = nil
    ) {
        self.from = from
        self.to = to
        self.steps = steps
        self.windows = windows
        self.window = window
        self.strict = strict
        self.allowance = allowance
        self.count = count
        self.unit = unit
        self.breakdown = breakdown
        self.experiment = experiment
    }
}
