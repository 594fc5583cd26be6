import NIOCore

/// Abuse policy for PING and SETTINGS frames (their ACKs cost the server work and output):
/// a token bucket of `burst` tokens refilled at `perSecond`. The clock is injectable for tests.
struct ControlFrameBudget {
    let burst: Int
    let perSecond: Int
    private var tokens: Double
    private var last: NIODeadline
    private let now: () -> NIODeadline

    init(burst: Int, perSecond: Int, now: @escaping () -> NIODeadline = { .now() }) {
        self.burst = burst
        self.perSecond = perSecond
        self.tokens = Double(burst)
        self.now = now
        self.last = now()
    }

    /// Takes one token; false when the peer is over budget.
    mutating func admit() -> Bool {
        let current = now()
        let elapsed = Double((current - last).nanoseconds) / 1e9
        last = current
        tokens = min(Double(burst), tokens + elapsed * Double(perSecond))
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
