import Logging
import ServiceLifecycle
import UnixSignals

/// Runs `trailmark serve`'s `ServiceGroup` under SIGINT/SIGTERM:
///
/// - the first SIGINT or SIGTERM triggers the group's graceful shutdown (services stop in
///   reverse order: certificate reloads, then the transport drains, then the log is flushed
///   and closed);
/// - a second SIGINT or SIGTERM during that drain cancels the group: open connections are
///   closed at once (in-flight requests fail, unacknowledged), the log is still flushed and
///   closed, and the exit status is 128 + the signal number (130 / 143).
///
/// ServiceGroup's own `gracefulShutdownSignals` / `cancellationSignals` cannot express
/// "first signal drains, the same signal again cancels": the two lists must be disjoint
/// (a precondition) and the group stops listening after the first graceful signal.
enum StopSignalSupervisor {
    /// How the group ended.
    enum Outcome: Equatable {
        /// Graceful: every service returned after the drain.
        case drained
        /// Cut short by a second stop signal.
        case cancelled(by: UnixSignal)
    }

    private enum Event {
        case groupFinished
        case secondSignal(UnixSignal)
        case signalsEnded
    }

    /// Runs `group` until it finishes; rethrows a service's error.
    static func run(_ group: ServiceGroup, logger: Logger) async throws -> Outcome {
        let stops = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return try await withThrowingTaskGroup(of: Event.self) { tasks in
            tasks.addTask {
                do {
                    try await group.run()
                } catch where Task.isCancelled {
                    // Cancelled by the second signal: whatever the group reports is a consequence.
                    logger.debug("service group ended after cancellation", metadata: ["error": "\(error)"])
                }
                return .groupFinished
            }
            tasks.addTask {
                var signals = stops.makeAsyncIterator()
                guard let first = await signals.next() else { return .signalsEnded }
                logger.info("shutdown: \(name(first)) received; stopping gracefully (a second SIGINT/SIGTERM stops at once)")
                await group.triggerGracefulShutdown()
                guard let second = await signals.next() else { return .signalsEnded }
                return .secondSignal(second)
            }
            var outcome = Outcome.drained
            while let event = try await tasks.next() {
                switch event {
                case .groupFinished:
                    tasks.cancelAll()  // ends the signal listener
                    return outcome
                case .secondSignal(let signal):
                    logger.warning("shutdown: second \(name(signal)); closing open connections without draining")
                    outcome = .cancelled(by: signal)
                    tasks.cancelAll()  // cancels the group: services stop at once
                case .signalsEnded:
                    continue
                }
            }
            return outcome
        }
    }

    /// "SIGTERM" for `.sigterm`.
    static func name(_ signal: UnixSignal) -> String { "\(signal)".uppercased() }
}
