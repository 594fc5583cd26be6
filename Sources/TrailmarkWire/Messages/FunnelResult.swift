/// The answer to a `FunnelQuery` (API.md `/v1/funnel`).
public struct FunnelResult: Hashable, Sendable {
    /// What identifies a group. JSON renders `.all` as `null`, `.property(v)` as `v`,
    /// `.firstTouch` as `[source, medium]` and `.experimentGroup(g)` as `g`.
    public enum GroupKey: Hashable, Sendable {
        case all
        case property(PropertyValue)
        case firstTouch(source: String, medium: String)
        case experimentGroup(String?)
    }

    public struct Step: Hashable, Sendable {
        public var event: String
        public var reached: UInt64
        /// `reached[k] / reached[k-1]`; 1.0 for step 1; `nil` when the divisor is 0.
        public var conversion: Double?
        /// `reached[k] / reached[1]`; `nil` when the divisor is 0.
        public var overall: Double?

        public init(event: String, reached: UInt64, conversion: Double?, overall: Double?) {
            self.event = event
            self.reached = reached
            self.conversion = conversion
            self.overall = overall
        }
    }

    /// Time from step 1 to the last step over the completing units (microseconds).
    public struct TimeToComplete: Hashable, Sendable {
        public var n: UInt64
        public var mean: Double?
        public var median: Double?
        public var p90: Double?

        public init(n: UInt64, mean: Double?, median: Double?, p90: Double?) {
            self.n = n
            self.mean = mean
            self.median = median
            self.p90 = p90
        }
    }

    public struct Group: Hashable, Sendable {
        public var key: GroupKey
        /// Experiment funnels: the group's exposed units (N of SEMANTICS §5); otherwise nil.
        public var exposed: UInt64?
        public var steps: [Step]
        public var timeToComplete: TimeToComplete

        public init(key: GroupKey, exposed: UInt64? = nil, steps: [Step], timeToComplete: TimeToComplete) {
            self.key = key
            self.exposed = exposed
            self.steps = steps
            self.timeToComplete = timeToComplete
        }
    }

    /// A treatment-vs-control comparison of one rate (SEMANTICS §5). `nil` fields are
    /// undefined (zero standard error, zero control rate, no exposed units).
    public struct Comparison: Hashable, Sendable {
        public var diff: Double?
        public var ciLow: Double?
        public var ciHigh: Double?
        public var pValue: Double?
        public var lift: Double?
        public var liftVariance: Double?

        public init(diff: Double?, ciLow: Double?, ciHigh: Double?, pValue: Double?, lift: Double?, liftVariance: Double?) {
            self.diff = diff
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.pValue = pValue
            self.lift = lift
            self.liftVariance = liftVariance
        }
    }

    public struct StepComparison: Hashable, Sendable {
        public var stepwise: Comparison
        public var overall: Comparison

        public init(stepwise: Comparison, overall: Comparison) {
            self.stepwise = stepwise
            self.overall = overall
        }
    }

    /// One treatment group against the control.
    public struct GroupComparison: Hashable, Sendable {
        public var group: String?
        public var steps: [StepComparison]

        public init(group: String?, steps: [StepComparison]) {
            self.group = group
            self.steps = steps
        }
    }

    /// Sorted by the JSON text of their key (API.md).
    public var groups: [Group]
    /// Experiment funnels only: every non-control group against the control.
    public var comparisons: [GroupComparison]

    public init(groups: [Group], comparisons: [GroupComparison] = []) {
        self.groups = groups
        self.comparisons = comparisons
    }
}
