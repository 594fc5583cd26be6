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

    /// Starts `body` as the handler task of a call. With `handlersOnEventLoop` the task starts
    /// immediately on the calling (event-loop) thread and runs there until its first
    /// suspension (`Task.immediate`, SE-0472), so a handler that answers without awaiting
    /// costs no thread hop; after a suspension it continues on the global executor.
    /// `body` is handed to the task as is (no wrapping closure).
    func spawn(_ body: sending @escaping @isolated(any) () async -> Void) -> Task<Void, Never> {
        if limits.handlersOnEventLoop { return Task.immediate(operation: body) }
        return Task(operation: body)
    }
}

/// Sent down a server's connections (as a user inbound event) to begin graceful shutdown:
/// HTTP/2 sends GOAWAY in two phases and closes once its streams finish; HTTP/1.1 closes
/// after the current response.
public struct ConnectionDrainEvent: Sendable {}
