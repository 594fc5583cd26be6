import ArgumentParser
import Foundation
import TrailmarkServices

/// `trailmark keys create|list|revoke`: manages API keys in a data directory (API.md § Auth).
/// The key text is printed once, at creation; only its hash is stored.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Location: ParsableArguments {
        @Option(name: .long, help: "Data directory of the server. Env TRAILMARK_DATA.")
        var data: String = environment("DATA") ?? "./data"
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (shown only this once).")
        @OptionGroup var location: Location
        @Option(name: .long, help: "Project the key belongs to.") var project: String
        @Option(name: .long, help: "secret (sk_: write, read, forget), public (pk_: write from allowed origins), read (rk_: read).")
        var kind: String
        @Option(name: .long, help: "Allowed Origin for a public key (repeatable), e.g. https://app.example.com.")
        var origin: [String] = []

        func validate() throws {
            guard KeyKind(rawValue: kind) != nil else { throw ValidationError("--kind must be secret, public or read") }
            guard origin.isEmpty || kind == "public" else { throw ValidationError("--origin applies to public keys only") }
            guard kind != "public" || !origin.isEmpty else { throw ValidationError("a public key needs at least one --origin") }
        }

        func run() throws {
            let store = try KeyStore(directory: URL(fileURLWithPath: location.data))
            let key = try store.create(project: project, kind: KeyKind(rawValue: kind) ?? .read, origins: origin)
            print(key)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (ids, kinds, projects; never secrets).")
        @OptionGroup var location: Location

        func run() throws {
            let store = try KeyStore(directory: URL(fileURLWithPath: location.data))
            for key in store.list() {
                let origins = key.origins.isEmpty ? "" : " origins=\(key.origins.joined(separator: ","))"
                print("\(key.id)  \(key.kind.prefix)  project=\(key.project)  created=\(key.createdAt)\(key.revoked ? "  REVOKED" : "")\(origins)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its 8-character id (the part after _live_).")
        @OptionGroup var location: Location
        @Argument(help: "Key id, or the whole key text.") var id: String

        func run() throws {
            let store = try KeyStore(directory: URL(fileURLWithPath: location.data))
            let keyID = KeyText(parsing: id[...])?.id ?? id
            guard try store.revoke(id: keyID) else { throw ValidationError("no key with id \(keyID)") }
            print("revoked \(keyID)")
        }
    }
}
