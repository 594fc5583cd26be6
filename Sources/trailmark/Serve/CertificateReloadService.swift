import Logging
import ServiceLifecycle
import TrailmarkTransport
import UnixSignals

/// SIGHUP → `TransportServer.reloadCertificates()`: new connections use the re-read PEM
/// files, open ones keep theirs; on failure the old certificate stays in use. Ends on
/// graceful shutdown (it is last in the group's list, so it stops first).
struct CertificateReloadService: Service, CustomStringConvertible {
    let server: TransportServer
    let logger: Logger

    var description: String { "CertificateReloadService" }

    func run() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            do {
                try server.reloadCertificates()
                logger.info("certificates reloaded")
            } catch {
                logger.error("certificate reload failed; keeping the old one", metadata: ["error": "\(error)"])
            }
        }
    }
}
