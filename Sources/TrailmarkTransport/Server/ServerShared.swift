import Logging

/// What every connection of one server shares: routes, limits, timeouts and the logger.
/// Immutable after the server starts.
final class ServerShared: Sendable {
    let router: TransportRouter
    let limits: TransportLimits
    let timeouts: TransportTimeouts
    let logger: Logger

    init(router: TransportRouter, limits: TransportLimits, timeouts: TransportTimeouts, logger: Logger) {
        self.router = router
        self.limits = limits
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Starts `body` as the handler task of a call, on `executor` when handlers run on the
    /// event loop.
    func spawn(on executor: EventLoopTaskExecutor, _ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        limits.handlersOnEventLoop ? Task(executorPreference: executor) { await body() } : Task { await body() }
    }
}

/// Sent down a server's connections (as a user inbound event) to begin graceful shutdown:
/// HTTP/2 sends GOAWAY in two phases and closes once its streams finish; HTTP/1.1 closes
/// after the current response.
public struct ConnectionDrainEvent: Sendable {}
