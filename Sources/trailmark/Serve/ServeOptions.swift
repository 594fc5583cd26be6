import ArgumentParser
import TrailmarkTransport

/// The options of `trailmark serve`, reusable by other subcommands that start a server.
struct ServeOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (segments, keys, generated TLS certificates). Env TRAILMARK_DATA.")
    var data: String = environment("DATA") ?? "./data"

    @Option(name: .long, help: "Address to listen on. Env TRAILMARK_HOST_ADDRESS.")
    var host: String = environment("HOST_ADDRESS") ?? "0.0.0.0"

    @Option(name: .long, help: "TCP port. Env TRAILMARK_PORT.")
    var port: Int = Int(environment("PORT") ?? "") ?? 8443

    @Flag(name: .long, help: "Serve h2c (prior knowledge) and HTTP/1.1 without TLS, for use behind a TLS proxy or on loopback. Env TRAILMARK_PLAINTEXT=1.")
    var plaintext: Bool = environment("PLAINTEXT") == "1"

    @Option(name: .long, help: "PEM certificate chain (leaf first); reloaded on SIGHUP. Default: a generated development certificate. Env TRAILMARK_CERT.")
    var cert: String?

    @Option(name: .long, help: "PEM private key for --cert. Env TRAILMARK_KEY_FILE.")
    var key: String?

    @Option(name: .long, help: "On SIGINT/SIGTERM, how long in-flight requests may run before open connections are closed, seconds (a second signal closes them at once). Env TRAILMARK_SHUTDOWN_GRACE_SECONDS.")
    var shutdownGraceSeconds: Double = Double(environment("SHUTDOWN_GRACE_SECONDS") ?? "") ?? 10

    func validate() throws {
        guard (1...65_535).contains(port) || port == 0 else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
        guard !(plaintext && cert != nil) else { throw ValidationError("--plaintext cannot be combined with --cert/--key") }
        guard shutdownGraceSeconds.isFinite, (0...3_600).contains(shutdownGraceSeconds) else {
            throw ValidationError("--shutdown-grace-seconds must be 0...3600, got \(shutdownGraceSeconds)")
        }
    }

    /// `--shutdown-grace-seconds` as a duration (the transport's drain timeout).
    var shutdownGrace: Duration { .milliseconds(Int64((shutdownGraceSeconds * 1_000).rounded())) }

    /// The transport configuration these options describe.
    var serverConfiguration: TransportServerConfiguration {
        let security: TransportServerConfiguration.Security
        if plaintext {
            security = .plaintext
        } else if let cert = cert ?? environment("CERT"), let key = key ?? environment("KEY_FILE") {
            security = .certificateFiles(chain: cert, privateKey: key)
        } else {
            security = .developmentCertificate(dataDirectory: data)
        }
        var configuration = TransportServerConfiguration(host: host, port: port, security: security)
        configuration.timeouts.drain = shutdownGrace
        return configuration
    }
}
