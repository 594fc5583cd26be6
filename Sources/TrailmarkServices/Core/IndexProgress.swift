import Synchronization

/// How far the engine has indexed the committed log, shared by the log tailer (the only
/// writer) and the services that must not answer before the engine has caught up.
///
/// `indexedEnd` is one past the last record the engine has applied. `replayed` turns true
/// once the tailer has applied every record that was committed when the server started.
/// Waiters suspend on continuations (no polling); `advance` resumes those it satisfies.
public final class IndexProgress: Sendable {
    private struct State {
        var indexedEnd: UInt64 = 0
        var events: UInt64 = 0
        var replayed = false
        var closed = false
        var waiters: [(target: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var replayWaiters: [CheckedContinuation<Bool, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var indexedEnd: UInt64 { state.withLock { $0.indexedEnd } }
    public var isReplayed: Bool { state.withLock { $0.replayed } }
    /// Events the engine has stored (the `$identify` events included).
    public var eventsIndexed: UInt64 { state.withLock { $0.events } }

    func addEvents(_ n: Int) {
        state.withLock { $0.events += UInt64(n) }
    }

    /// Records that every record below `end` is applied; resumes satisfied waiters.
    func advance(to end: UInt64) {
        let ready = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            guard end > s.indexedEnd else { return [] }
            s.indexedEnd = end
            var ready: [CheckedContinuation<Bool, Never>] = []
            s.waiters.removeAll { w in
                if w.target <= end { ready.append(w.continuation); return true }
                return false
            }
            return ready
        }
        for c in ready { c.resume(returning: true) }
    }

    func markReplayed() {
        let ready = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.replayed = true
            defer { s.replayWaiters = [] }
            return s.replayWaiters
        }
        for c in ready { c.resume(returning: true) }
    }

    /// Wakes every waiter with `false` (shutdown).
    func close() {
        let all = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.closed = true
            defer {
                s.waiters = []
                s.replayWaiters = []
            }
            return s.waiters.map(\.continuation) + s.replayWaiters
        }
        for c in all { c.resume(returning: false) }
    }

    /// Suspends until every record below `end` is indexed; `false` when shutting down.
    public func wait(untilIndexed end: UInt64) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let resumeNow: Bool? = state.withLock { s in
                if s.closed { return false }
                if s.indexedEnd >= end { return true }
                s.waiters.append((target: end, continuation: c))
                return nil
            }
            if let resumeNow { c.resume(returning: resumeNow) }
        }
    }

    /// Suspends until start-up replay is done; `false` when shutting down.
    public func waitReplayed() async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let resumeNow: Bool? = state.withLock { s in
                if s.closed { return false }
                if s.replayed { return true }
                s.replayWaiters.append(c)
                return nil
            }
            if let resumeNow { c.resume(returning: resumeNow) }
        }
    }
}
