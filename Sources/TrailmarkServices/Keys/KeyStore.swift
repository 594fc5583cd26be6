import Crypto
import Foundation
import Synchronization

/// The project's API keys, kept in `keys.json` in the data directory next to a random
/// per-install `pepper` file (mode 0600). Only hashes are stored; the full key text is
/// shown once, when created.
///
/// Concurrency: reads (every request) take a `Mutex` briefly; writes (CLI `keys create`,
/// `revoke`) replace the file atomically (write, fsync, rename) and the in-memory table.
public final class KeyStore: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    private let directory: URL
    /// `keys.json`, resolved once: `URL.appendingPathComponent` without a directory hint
    /// `stat`s the path, which per request was a system call on every authentication.
    private let fileURL: URL
    private let pepper: [UInt8]
    private let keys: Mutex<[String: StoredKey]>
    /// When `keys.json` was last checked and its modification time then, so keys created
    /// or revoked by `trailmark keys` take effect in a running server within a second.
    private let fileCheck = Mutex<(checkedAt: ContinuousClock.Instant, modified: Date?)>((ContinuousClock.now - .seconds(60), nil))

    public static let fileName = "keys.json"
    public static let pepperFileName = "pepper"

    /// Opens (creating the pepper on first use) the key store in `directory`.
    public init(directory: URL) throws {
        self.directory = directory
        fileURL = directory.appendingPathComponent(Self.fileName, isDirectory: false)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        pepper = try InstallSecret.loadOrCreate(directory.appendingPathComponent(Self.pepperFileName), byteCount: 32).bytes
        keys = Mutex(try Self.load(fileURL))
        let modified = Self.modificationDate(fileURL)
        fileCheck.withLock { $0.modified = modified }
    }

    private static func load(_ fileURL: URL) throws -> [String: StoredKey] {
        var table: [String: StoredKey] = [:]
        if FileManager.default.fileExists(atPath: fileURL.path) {
            let data = try Data(contentsOf: fileURL)
            for key in try JSONDecoder().decode([StoredKey].self, from: data) { table[key.id] = key }
        }
        return table
    }

    private static func modificationDate(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    /// Reloads `keys.json` when another process (the `keys` CLI) changed it; at most one
    /// `stat` per second. A file that fails to parse keeps the current table.
    private func refreshIfChanged(interval: Duration = .seconds(1)) {
        let due = fileCheck.withLock { check -> Bool in
            let now = ContinuousClock.now
            guard now - check.checkedAt >= interval else { return false }
            check.checkedAt = now
            return true
        }
        guard due else { return }
        let modified = Self.modificationDate(fileURL)
        let changed = fileCheck.withLock { check -> Bool in
            defer { check.modified = modified }
            return check.modified != modified
        }
        if changed, let table = try? Self.load(fileURL) {
            keys.withLock { $0 = table }
        }
    }

    /// Creates a key and returns its full text (the only time it is ever available).
    public func create(project: String, kind: KeyKind, origins: [String] = []) throws -> String {
        guard !project.isEmpty, project.utf8.count <= 64 else { throw Failure(description: "project name must be 1..64 bytes") }
        let text = KeyText(kind: kind, id: Self.randomToken(8), secret: Self.randomToken(32))
        let record = StoredKey(
            id: text.id, kind: kind, project: project, hash: hash(secret: text.secret),
            origins: origins, createdAt: ISO8601DateFormatter().string(from: Date()), revoked: false)
        try update { $0[record.id] = record }
        return text.text
    }

    /// Marks the key with `id` revoked; `false` when there is no such key.
    @discardableResult
    public func revoke(id: String) throws -> Bool {
        var found = false
        try update { table in
            if table[id] != nil {
                table[id]?.revoked = true
                found = true
            }
        }
        return found
    }

    /// Every key record (no secrets: only ids and hashes exist).
    public func list() -> [StoredKey] {
        keys.withLock { Array($0.values) }.sorted { ($0.project, $0.createdAt, $0.id) < ($1.project, $1.createdAt, $1.id) }
    }

    /// The live key matching a bearer token, compared in constant time; `nil` otherwise.
    public func authenticate(_ token: Substring) -> StoredKey? {
        guard let text = KeyText(parsing: token) else { return nil }
        refreshIfChanged()
        var found = keys.withLock { $0[text.id] }
        if found == nil {
            // A key created a moment ago by `trailmark keys create`: look again sooner.
            refreshIfChanged(interval: .milliseconds(20))
            found = keys.withLock { $0[text.id] }
        }
        guard let record = found, !record.revoked, record.kind == text.kind else { return nil }
        let candidate = Array(hash(secret: text.secret).utf8)
        let stored = Array(record.hash.utf8)
        guard candidate.count == stored.count else { return nil }
        var difference: UInt8 = 0
        for i in 0..<stored.count { difference |= candidate[i] ^ stored[i] }
        return difference == 0 ? record : nil
    }

    private func hash(secret: String) -> String {
        var hasher = SHA256()
        hasher.update(data: pepper)
        hasher.update(data: Array(secret.utf8))
        // Lower-case hex, as stored in keys.json (`String(format:)` per byte was 2% of an
        // ingest request's CPU).
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(2 * SHA256.byteCount)
        for byte in hasher.finalize() {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 15)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private func update(_ change: (inout [String: StoredKey]) -> Void) throws {
        try keys.withLock { table in
            var copy = table
            change(&copy)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(copy.values.sorted { $0.id < $1.id })
            try InstallSecret.writeAtomically(data, to: fileURL)
            table = copy
        }
    }

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    static func randomToken(_ length: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }
}
