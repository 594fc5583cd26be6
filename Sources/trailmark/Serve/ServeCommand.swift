import ArgumentParser
import Dispatch
import Logging
import TrailmarkServices
import TrailmarkTransport
#if canImport(Glibc)
import Glibc
#endif

/// `trailmark serve`: opens the data directory, replays the log into the engine and
/// serves the binary RPC and the JSON gateway on one port.
/// SIGHUP reloads the certificate files; SIGINT/SIGTERM shut down gracefully: stop
/// accepting, GOAWAY, finish in-flight requests, flush and close the log, exit 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the Trailmark server.")

    @OptionGroup var options: ServeOptions
    @OptionGroup var service: ServiceOptions

    func run() async throws {
        let logger = Logger(label: "trailmark")
        let registry = MetricsSetup.bootstrap()
        var hubConfiguration = service.hubConfiguration(dataDirectory: options.data)
        hubConfiguration.log.logger = logger
        let hub: ServiceHub
        do {
            hub = try ServiceHub(configuration: hubConfiguration, logger: logger)
        } catch {
            logger.critical("cannot open the data directory \(options.data): \(error)")
            throw ExitCode(2)
        }
        let tailer = Task { await hub.runTailer() }
        let gateway = JSONGateway(hub: hub, metricsText: { registry.emitToBuffer() })
        var router = TransportRouter()
        ServiceRoutes.register(hub: hub, gateway: gateway, in: &router)
        var transportConfiguration = options.serverConfiguration
        transportConfiguration.limits.messageBytesMax = hubConfiguration.wireLimits.messageBytesMax
        let server = TransportServer(configuration: transportConfiguration, router: router, logger: logger)
        try await server.start()
        let scheme = options.plaintext ? "http" : "https"
        let port = server.localPort ?? options.port
        say("trailmark: listening on \(scheme)://\(options.host):\(port)")
        if let ca = server.developmentCAFile { say("trailmark: development CA certificate: \(ca)") }
        if service.dev, let keys = try DevProject.ensure(keys: hub.keys, dataDirectory: options.data) {
            say(DevProject.instructions(keys: keys, base: "\(scheme)://localhost:\(port)", caFile: server.developmentCAFile))
        }
        await SignalWaiter.run(server: server, logger: logger)
        await hub.shutdown()
        _ = await tailer.value
        logger.info("stopped")
    }
}

/// Turns SIGHUP into certificate reloads and the first SIGINT/SIGTERM into a graceful shutdown.
enum SignalWaiter {
    static func run(server: TransportServer, logger: Logger) async {
        for signal in [SIGHUP, SIGINT, SIGTERM] { _ = Glibc.signal(signal, SIG_IGN) }
        let queue = DispatchQueue(label: "trailmark.signals")
        let reload = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        reload.setEventHandler {
            do {
                try server.reloadCertificates()
                logger.info("certificates reloaded")
            } catch {
                logger.error("certificate reload failed; keeping the old one", metadata: ["error": "\(error)"])
            }
        }
        reload.resume()
        var sources: [any DispatchSourceSignal] = [reload]
        let once = OnceFlag()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for signal in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
                source.setEventHandler {
                    if once.claim() { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
        }
        withExtendedLifetime(sources) {}
        logger.info("shutting down")
        await server.shutdown()
    }
}
