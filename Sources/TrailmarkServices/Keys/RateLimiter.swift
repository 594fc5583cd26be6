import Synchronization

/// Per-key token buckets: requests/s and events/s (API.md `rate_limited`).
///
/// Each key has two buckets refilled continuously at `rate` per second up to `burst`.
/// A request takes one request token and `events` event tokens, all or nothing; when it
/// cannot, the answer says how many whole seconds until it could (`Retry-After`).
/// The clock is injected (microseconds) so tests are deterministic. Buckets of keys not
/// seen for `idleEvictionMicros` are dropped, bounding memory by active keys.
public final class RateLimiter: Sendable {
    public struct Limits: Sendable, Equatable {
        public var requestsPerSecond: Double
        public var requestsBurst: Double
        public var eventsPerSecond: Double
        public var eventsBurst: Double

        public init(requestsPerSecond: Double = 1_000, requestsBurst: Double = 2_000,
                    eventsPerSecond: Double = 2_000_000, eventsBurst: Double = 4_000_000) {
            self.requestsPerSecond = requestsPerSecond
            self.requestsBurst = requestsBurst
            self.eventsPerSecond = eventsPerSecond
            self.eventsBurst = eventsBurst
        }
    }

    struct Bucket {
        var requests: Double
        var events: Double
        var updatedAt: Int64
    }

    public let limits: Limits
    private let now: @Sendable () -> Int64
    private let buckets = Mutex<[String: Bucket]>([:])
    private let idleEvictionMicros: Int64 = 600_000_000

    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Int64) {
        self.limits = limits
        self.now = now
    }

    /// Takes the tokens for one request carrying `events` events; `nil` when allowed,
    /// otherwise the seconds to wait (at least 1).
    public func acquire(key: String, events: Int = 0) -> Int? {
        let t = now()
        return buckets.withLock { table -> Int? in
            if table.count > 100_000 { table = table.filter { t - $0.value.updatedAt < idleEvictionMicros } }
            var b = table[key] ?? Bucket(requests: limits.requestsBurst, events: limits.eventsBurst, updatedAt: t)
            let elapsed = Double(max(0, t - b.updatedAt)) / 1e6
            b.requests = min(limits.requestsBurst, b.requests + elapsed * limits.requestsPerSecond)
            b.events = min(limits.eventsBurst, b.events + elapsed * limits.eventsPerSecond)
            b.updatedAt = t
            let needEvents = Double(events)
            if b.requests >= 1 && b.events >= needEvents {
                b.requests -= 1
                b.events -= needEvents
                table[key] = b
                return nil
            }
            table[key] = b
            let waitRequests = b.requests >= 1 ? 0 : (1 - b.requests) / limits.requestsPerSecond
            let waitEvents = needEvents > limits.eventsBurst ? Double.infinity
                : (b.events >= needEvents ? 0 : (needEvents - b.events) / limits.eventsPerSecond)
            let wait = max(waitRequests, waitEvents)
            return wait.isFinite ? max(1, Int(wait.rounded(.up))) : 60
        }
    }
}
