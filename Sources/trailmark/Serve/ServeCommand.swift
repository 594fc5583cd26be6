import ArgumentParser
import Dispatch
import Logging
import TrailmarkTransport
#if canImport(Glibc)
import Glibc
#endif

/// `trailmark serve`: starts the transport with the health RPC and `GET /v1/health`.
/// SIGHUP reloads the certificate files; SIGINT/SIGTERM shut down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the Trailmark server.")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let logger = Logger(label: "trailmark")
        var router = TransportRouter()
        HealthRoutes.register(in: &router)
        let server = TransportServer(configuration: options.serverConfiguration, router: router, logger: logger)
        try await server.start()
        let scheme = options.plaintext ? "http" : "https"
        announce("trailmark: listening on \(scheme)://\(options.host):\(server.localPort ?? options.port)")
        if let ca = server.developmentCAFile { announce("trailmark: development CA certificate: \(ca) (curl --cacert \(ca))") }
        await SignalWaiter.run(server: server, logger: logger)
    }
}

/// Writes a line to standard output unbuffered (so it shows at once when stdout is a file or pipe).
private func announce(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
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
