/// Exponential backoff with full jitter (the AWS Architecture Blog's "full jitter"):
/// attempt `n` (0-based) waits a uniformly random time in `[0, min(cap, base * 2^n)]`,
/// or exactly the server's hint when it sent one (`grpc-retry-pushback-ms`).
public struct RetryPolicy: Sendable, Hashable {
    /// First backoff ceiling.
    public var base: Duration
    /// Largest backoff ceiling.
    public var cap: Duration
    /// Attempts after the first before giving up (nil: retry for as long as the client lives).
    public var attemptsMax: Int?

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(10), attemptsMax: Int? = nil) {
        self.base = base
        self.cap = cap
        self.attemptsMax = attemptsMax
    }

    /// The wait before retry number `attempt` (0-based) after `error`.
    public func delay<G: RandomNumberGenerator>(attempt: Int, after error: TrailmarkError?, using generator: inout G) -> Duration {
        if let hint = error?.retryAfter { return min(hint, cap * 6) }
        let ceiling = ceilingMillis(attempt: attempt)
        guard ceiling > 0 else { return .zero }
        return .milliseconds(Int64.random(in: 0...ceiling, using: &generator))
    }

    /// `min(cap, base * 2^attempt)` in milliseconds.
    public func ceilingMillis(attempt: Int) -> Int64 {
        let baseMs = base.components.seconds * 1000 + base.components.attoseconds / 1_000_000_000_000_000
        let capMs = cap.components.seconds * 1000 + cap.components.attoseconds / 1_000_000_000_000_000
        let shift = min(max(attempt, 0), 30)
        let (scaled, overflow) = baseMs.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
        return overflow ? capMs : min(capMs, scaled)
    }
}
