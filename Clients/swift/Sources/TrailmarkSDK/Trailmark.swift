import Synchronization
import TrailmarkTransport
import TrailmarkWire

/// The Trailmark SDK: `track` and `identify` queue events in memory and return at once;
/// batches go to the server over one long-lived HTTP/2 connection (binary RPC) when
/// `flushAt` events are queued, every `flushInterval`, on `flush()` and on `shutdown()`.
///
/// Reliability: each event gets a UUIDv7 `event_id` when tracked, so a batch retried after
/// a lost acknowledgement is stored once (the server drops the copies). Retryable failures
/// (UNAVAILABLE, RESOURCE_EXHAUSTED with the server's `grpc-retry-pushback-ms`,
/// DEADLINE_EXCEEDED, connection loss) back off exponentially with full jitter; others
/// (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, …) discard the batch and go to
/// `options.onError`. Every batch carries `sent_at` for the server's skew correction.
///
/// Thread-safe: every method may be called from any task.
public final class Trailmark: Sendable {
    public let options: TrailmarkOptions
    let transport: TransportClient
    let state: Mutex<State>
    let stream: TrackStream

    struct State {
        var queue: EventQueue
        var identifies: [Identify] = []
        var anonymousID: String
        var userID: String?
        /// The one task sending batches, if any (batches go out one at a time, in order).
        var sender: Task<TrailmarkError?, Never>?
        var timer: Task<Void, Never>?
        var closed = false
        var stats = TrailmarkStats()
    }

    /// A client of the server at `host` (`https://host:port`, or `http://host:port` for a
    /// `--plaintext` server) writing with `key` (`sk_…`, or `pk_…` from an allowed origin).
    public init(host: String, key: String, options: TrailmarkOptions = TrailmarkOptions()) throws(TrailmarkError) {
        precondition(options.flushAt >= 1 && options.maxQueueSize >= 1, "flushAt and maxQueueSize must be at least 1")
        let address = try ServerAddress(parsing: host)
        self.options = options
        self.transport = try TransportClient.trailmark(address: address, key: key, tls: options.tls)
        self.stream = TrackStream(transport: transport, timeout: nil)
        let anonymousID: String
        if let saved = options.anonymousIDStore.load() {
            anonymousID = saved
        } else {
            anonymousID = UUIDv7.random()
            options.anonymousIDStore.save(anonymousID)
        }
        state = Mutex(State(queue: EventQueue(capacity: options.maxQueueSize), anonymousID: anonymousID))
    }

    /// The device's anonymous id (made once, kept in `options.anonymousIDStore`).
    public var anonymousID: String { state.withLock { $0.anonymousID } }

    /// The user id set by the last `identify`, if any.
    public var userID: String? { state.withLock { $0.userID } }

    /// Counters (queued, sent, dropped, rejected, retries).
    public var stats: TrailmarkStats {
        state.withLock { s in
            var stats = s.stats
            stats.queued = s.queue.count
            stats.dropped = s.queue.dropped
            return stats
        }
    }

    /// Queues one event and returns its `event_id` (a UUIDv7). `timestamp` defaults to now
    /// (µs since the epoch). Never blocks on the network; after `shutdown` it is ignored.
    @discardableResult
    public func track(_ event: String, properties: Properties = [:], timestamp: Int64? = nil, sessionID: String? = nil,
                      url: String? = nil, path: String? = nil, referrer: String? = nil, userID: String? = nil) -> String {
        let now = Clock.nowMicros()
        let id = UUIDv7.make(nowMillis: now / 1000)
        let kick = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.queue.append(Event(event: event, anonymousID: s.anonymousID, userID: userID ?? s.userID, timestamp: timestamp ?? now,
                                 sessionID: sessionID, eventID: id, url: url, path: path, referrer: referrer, properties: properties))
            startTimerLocked(&s)
            return s.queue.count >= options.flushAt
        }
        if kick { startSender(all: false) }
        return id
    }

    /// Links this device's anonymous id to `userID` from now on (SEMANTICS §1, §3); later
    /// events carry the user id. Sent with the next batch.
    public func identify(userID: String, traits: Properties = [:]) {
        let now = Clock.nowMicros()
        state.withLock { s in
            guard !s.closed else { return }
            s.userID = userID
            s.identifies.append(Identify(anonymousID: s.anonymousID, userID: userID, traits: traits, timestamp: now))
            if s.identifies.count > options.maxQueueSize { s.identifies.removeFirst() }
            startTimerLocked(&s)
        }
    }

    /// Forgets the user and starts a new anonymous id (log-out).
    public func reset() {
        let fresh = UUIDv7.random()
        options.anonymousIDStore.save(fresh)
        state.withLock { s in
            s.userID = nil
            s.anonymousID = fresh
        }
    }

    /// Sends everything queued so far, waiting for the acknowledgements. Throws the last
    /// failure when a batch could not be delivered (it stays queued if the failure was
    /// retryable) or was refused (it was discarded and reported to `onError`).
    public func flush() async throws(TrailmarkError) {
        while true {
            if let running = state.withLock({ $0.sender }) { _ = await running.value }
            let task = startSender(all: true)
            let failure = await task.value
            if let failure { throw failure }
            let empty = state.withLock { $0.queue.isEmpty && $0.identifies.isEmpty }
            if empty { return }
        }
    }

    /// Flushes what is queued (with retries), then closes the connection. Events tracked
    /// afterwards are ignored.
    public func shutdown() async {
        let timer = state.withLock { s -> Task<Void, Never>? in
            s.closed = true
            defer { s.timer = nil }
            return s.timer
        }
        timer?.cancel()
        try? await flush()
        await stream.close()
        await transport.close()
    }

    // MARK: Scheduling

    /// Starts the sender unless one runs; returns the running one. With `all` false (the
    /// `flushAt` trigger) it sends full batches only and leaves a partial one queued.
    @discardableResult
    func startSender(all: Bool) -> Task<TrailmarkError?, Never> {
        state.withLock { s in
            if let sender = s.sender { return sender }
            let task = Task { [self] in await self.drain(all: all) }
            s.sender = task
            return task
        }
    }

    private func startTimerLocked(_ s: inout State) {
        guard s.timer == nil, !s.closed else { return }
        let interval = options.flushInterval
        s.timer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                let pending = self.state.withLock { !$0.queue.isEmpty || !$0.identifies.isEmpty }
                if pending { self.startSender(all: true) }
            }
        }
    }
}
