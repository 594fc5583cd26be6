import TrailmarkTransport
import TrailmarkWire

/// Where a Trailmark server listens and how to reach it: parsed from `https://host:port`
/// (TLS, the default), `http://host:port` (h2c prior knowledge, `--plaintext` servers) or a
/// bare `host:port` (TLS). The default ports are 443 / 80 for the two schemes.
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// True for `http://` (no TLS).
    public var plaintext: Bool

    public init(host: String, port: Int, plaintext: Bool) {
        self.host = host
        self.port = port
        self.plaintext = plaintext
    }

    /// Parses `[http|https://]host[:port][/]`; throws a `TrailmarkError` naming `host` otherwise.
    public init(parsing text: String) throws(TrailmarkError) {
        var rest = Substring(text)
        var plaintext = false
        if rest.hasPrefix("http://") {
            plaintext = true
            rest = rest.dropFirst(7)
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst(8)
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        var host = rest
        var port = plaintext ? 80 : 443
        if rest.hasPrefix("[") {  // [::1]:8443
            guard let close = rest.firstIndex(of: "]") else { throw TrailmarkError(.invalidArgument, "host: unterminated IPv6 literal in \(text)") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let tail = rest[rest.index(after: close)...]
            if tail.hasPrefix(":") {
                guard let p = Int(tail.dropFirst()), (1...65_535).contains(p) else { throw TrailmarkError(.invalidArgument, "host: bad port in \(text)") }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(p) else {
                throw TrailmarkError(.invalidArgument, "host: bad port in \(text)")
            }
            port = p
        }
        guard !host.isEmpty, !host.contains("/") else { throw TrailmarkError(.invalidArgument, "host: expected [https://]host[:port], got \(text)") }
        self.init(host: String(host), port: port, plaintext: plaintext)
    }

    public var description: String { "\(plaintext ? "http" : "https")://\(host):\(port)" }
}

/// How the SDK and the query client verify TLS.
public enum TLSVerification: Sendable, Hashable {
    /// The system trust store, or `caFile` (PEM) when given.
    case verify(caFile: String?)
    /// No verification at all (`--insecure`), for development certificates.
    case insecure
}

extension TransportClient {
    /// A transport client for `address` that sends `authorization: Bearer <key>` on every call.
    public static func trailmark(address: ServerAddress, key: String?, tls: TLSVerification = .verify(caFile: nil),
                                 userAgent: String = "trailmark-swift/1") throws(TrailmarkError) -> TransportClient {
        let security: TransportClientConfiguration.Security
        if address.plaintext {
            security = .plaintext
        } else {
            switch tls {
            case .verify(let caFile): security = .tls(caFile: caFile)
            case .insecure: security = .insecure
            }
        }
        var configuration = TransportClientConfiguration(host: address.host, port: address.port, security: security)
        if let key { configuration.defaultHeaders.add("authorization", "Bearer \(key)") }
        configuration.defaultHeaders.add("user-agent", userAgent)
        configuration.connectTimeout = .seconds(5)
        do {
            return try TransportClient(configuration: configuration)
        } catch {
            throw TrailmarkError(.invalidArgument, "tls: cannot set up the client: \(error)")
        }
    }
}
