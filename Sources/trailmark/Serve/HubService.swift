import Logging
import ServiceLifecycle
import TrailmarkServices

/// The service hub as a `Service`: replays the log into the engine and tails it until
/// graceful shutdown, then flushes and closes the log (every accepted append becomes
/// durable and is acknowledged; later appends fail with `closed`).
///
/// First in the group's service list, so it is the last to shut down: the log closes only
/// after the transport has drained and no request can still append.
struct HubService: Service, CustomStringConvertible {
    let hub: ServiceHub
    let logger: Logger

    var description: String { "HubService" }

    func run() async {
        async let tailing: Void = hub.runTailer()
        // Returns on graceful shutdown; throws CancellationError when the group is cancelled.
        // The log is closed either way: what was accepted is flushed before the process exits.
        try? await gracefulShutdown()
        await hub.shutdown()
        await tailing
        logger.info("shutdown: log flushed and closed")
    }
}
