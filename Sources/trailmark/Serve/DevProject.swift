import Foundation
import TrailmarkServices

/// `--dev` (what `make run` uses): on a data directory without keys, creates project
/// `dev` with one key of each kind. Their text goes to `dev-keys.env` (mode 0600) in the
/// data directory so later `make run`s can print them again: a convenience for a local
/// development directory only — production keys are never written anywhere.
enum DevProject {
    static let fileName = "dev-keys.env"

    static func ensure(keys: KeyStore, dataDirectory: String) throws -> [String: String]? {
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName)
        if keys.list().isEmpty {
            let sk = try keys.create(project: "dev", kind: .secret)
            let pk = try keys.create(project: "dev", kind: .public, origins: ["http://localhost:3000"])
            let rk = try keys.create(project: "dev", kind: .read)
            let text = "SK_KEY=\(sk)\nPK_KEY=\(pk)\nRK_KEY=\(rk)\n"
            guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw KeyStore.Failure(description: "cannot write \(url.path)")
            }
        }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        return values
    }

    /// The "send your first event" text `make run` prints.
    static func instructions(keys: [String: String], base: String, caFile: String?) -> String {
        let sk = keys["SK_KEY"] ?? "<sk key>"
        let rk = keys["RK_KEY"] ?? "<rk key>"
        let tls = caFile.map { " --cacert \($0)" } ?? ""
        return """

        Development project "dev" (keys also in \(fileName) in the data directory):
          secret key (track, identify, read, forget): \(sk)
          public key (browsers, origin http://localhost:3000): \(keys["PK_KEY"] ?? "")
          read key   (queries): \(rk)

        Send a first event:
          curl\(tls) -X POST \(base)/v1/track -H "Authorization: Bearer \(sk)" -H "Content-Type: application/json" \\
            -d '{"event":"$pageview","anonymous_id":"u_abc","url":"https://acme.io/?utm_source=newsletter"}'
        Count it:
          curl\(tls) -G \(base)/v1/stats -H "Authorization: Bearer \(rk)" --data-urlencode metric=count
        A funnel:
          curl\(tls) -X POST \(base)/v1/funnel -H "Authorization: Bearer \(rk)" -H "Content-Type: application/json" \\
            -d '{"from":"2026-01-01T00:00:00Z","to":"2027-01-01T00:00:00Z","steps":[{"event":"$pageview"},{"event":"signup"}]}'

        """
    }
}
