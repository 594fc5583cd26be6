import Logging
import ServiceLifecycle
import TrailmarkTransport
import UnixSignals

/// SIGHUP → `TransportServer.reloadCertificates()`: new connections use the re-read PEM
/// files, open ones keep theirs; on failure the old certificate stays in use. Ends on
/// graceful shutdown (it is last in the group's list, so it stops first).
///
/// `hangups` is created (and SIGHUP trapped) by the caller before the server listens, so a
/// SIGHUP can never meet the default disposition (terminate) once clients can connect; the
/// caller keeps it alive until exit, so a SIGHUP during the drain is swallowed.
struct CertificateReloadService: Service, CustomStringConvertible {
    let server: TransportServer
    let hangups: UnixSignalsSequence
    let logger: Logger

    var description: String { "CertificateReloadService" }

    func run() async {
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
