import Logging
import ServiceLifecycle
import TrailmarkTransport

/// The transport as a `Service` of `trailmark serve`'s `ServiceGroup`: binds and serves until
/// graceful shutdown, then drains.
///
/// Shutdown (`TransportServer.shutdown()`): the listener closes first (new connections are
/// refused), every open connection is asked to drain (HTTP/2: GOAWAY, in-flight streams run
/// to completion; HTTP/1.1: the current response is the last), and connections still open
/// after `TransportTimeouts.drain` (`--shutdown-grace-seconds`) are closed. When the group is
/// cancelled instead (a second SIGINT/SIGTERM), the drain is cut short at once.
struct TransportService: Service, CustomStringConvertible {
    let server: TransportServer
    let logger: Logger
    /// Called once the listener is bound (prints the address and, with `--dev`, the keys).
    let onListening: @Sendable (TransportServer) throws -> Void

    var description: String { "TransportService" }

    func run() async throws {
        try await server.start()
        do {
            try onListening(server)
        } catch {
            await server.shutdown()
            throw error
        }
        // Returns on graceful shutdown; throws CancellationError when the group is cancelled,
        // in which case the shutdown below runs in a cancelled task and skips the drain wait.
        try? await gracefulShutdown()
        await server.shutdown()
        logger.info("shutdown: transport stopped")
    }
}
