import ArgumentParser
import Logging
import ServiceLifecycle
import TrailmarkServices
import TrailmarkTransport
import UnixSignals

/// `trailmark serve`: opens the data directory, replays the log into the engine and
/// serves the binary RPC and the JSON gateway on one port.
///
/// Lifecycle (swift-service-lifecycle): one `ServiceGroup` of `HubService` (log tailer;
/// closes the log), `TransportService` (listener and connections) and
/// `CertificateReloadService` (SIGHUP). The first SIGINT/SIGTERM shuts them down in reverse
/// order: stop accepting, GOAWAY, finish in-flight requests within `--shutdown-grace-seconds`,
/// then flush and close the log; exit status 0. A second SIGINT/SIGTERM during the drain
/// closes open connections at once (exit status 130/143; `StopSignalSupervisor`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the Trailmark server.")

    @OptionGroup var options: ServeOptions
    @OptionGroup var service: ServiceOptions

    /// The drain is bounded by the transport; this margin bounds the rest (closing the log)
    /// before the group escalates to cancellation.
    static let shutdownMargin: Duration = .seconds(30)

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
        let gateway = JSONGateway(hub: hub, metricsText: { registry.emitToBuffer() })
        var router = TransportRouter()
        ServiceRoutes.register(hub: hub, gateway: gateway, in: &router)
        var transportConfiguration = options.serverConfiguration
        transportConfiguration.limits.messageBytesMax = hubConfiguration.wireLimits.messageBytesMax
        let server = TransportServer(configuration: transportConfiguration, router: router, logger: logger)

        let options = self.options
        let dev = service.dev
        let transport = TransportService(server: server, logger: logger) { server in
            let scheme = options.plaintext ? "http" : "https"
            let port = server.localPort ?? options.port
            say("trailmark: listening on \(scheme)://\(options.host):\(port)")
            if let ca = server.developmentCAFile { say("trailmark: development CA certificate: \(ca) (curl --cacert \(ca))") }
            if dev, let keys = try DevProject.ensure(keys: hub.keys, dataDirectory: options.data) {
                say(DevProject.instructions(keys: keys, base: "\(scheme)://localhost:\(port)", caFile: server.developmentCAFile))
            }
        }
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                HubService(hub: hub, logger: logger),
                transport,
                CertificateReloadService(server: server, hangups: hangups, logger: logger),
            ],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = options.shutdownGrace + Self.shutdownMargin
        let group = ServiceGroup(configuration: groupConfiguration)

        let outcome = try await StopSignalSupervisor.run(group, logger: logger)
        withExtendedLifetime(hangups) {}  // SIGHUP stays trapped until the process exits
        switch outcome {
        case .drained:
            logger.info("stopped")
        case .cancelled(let signal):
            logger.warning("stopped without draining (second \(StopSignalSupervisor.name(signal)))")
            throw ExitCode(128 + signal.rawValue)
        }
    }
}
