import Foundation
import Synchronization
import TrailmarkSDK
import TrailmarkTransport
import TrailmarkWire

/// A real `trailmark serve --plaintext` process on a temporary data directory and a free
/// loopback port, for the SDK tests. The binary is `$TRAILMARK_BIN` or the package's
/// `.build/debug/trailmark` (built by `swift build --build-tests`).
final class TestServer: Sendable {
    let data: String
    let port: Int
    let binary: String
    let process = Mutex<Process?>(nil)

    init() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        binary = ProcessInfo.processInfo.environment["TRAILMARK_BIN"] ?? root.appendingPathComponent(".build/debug/trailmark").path
        data = NSTemporaryDirectory() + "tm-sdk-\(UUIDv7.random())"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        port = Self.freePort()
    }

    var host: String { "http://127.0.0.1:\(port)" }

    /// A running server on a fresh directory and a secret key of its project.
    static func started() async throws -> (TestServer, String) {
        let server = try TestServer()
        let key = try server.createKey()
        try await server.start()
        return (server, key)
    }

    /// Creates a key of `kind` (secret, read) in project `sdk` with the binary.
    func createKey(kind: String = "secret") throws -> String {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["keys", "create", "--data", data, "--project", "sdk", "--kind", kind]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard let key = output.split(separator: "\n").last(where: { $0.hasPrefix("sk_") || $0.hasPrefix("rk_") }) else {
            throw TrailmarkError(.internalError, "no key printed: \(output)")
        }
        return String(key)
    }

    func start() async throws {
        let log = FileHandle(forWritingAtPath: "\(data)/server.log") ?? {
            _ = FileManager.default.createFile(atPath: "\(data)/server.log", contents: nil)
            return FileHandle(forWritingAtPath: "\(data)/server.log")
        }()
        log?.seekToEndOfFile()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["serve", "--data", data, "--port", String(port), "--host", "127.0.0.1", "--plaintext"]
        if let log {
            child.standardOutput = log
            child.standardError = log
        }
        try child.run()
        process.withLock { $0 = child }
        let query = TrailmarkQueryClient(transport: try TransportClient.trailmark(address: ServerAddress(parsing: host), key: nil), timeout: .seconds(2))
        defer { Task { await query.close() } }
        for _ in 0..<1200 {
            if let health = try? await query.health(), health.status == .ok { return }
            guard child.isRunning else { throw TrailmarkError(.unavailable, "server exited: \(child.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TrailmarkError(.unavailable, "server not healthy")
    }

    func kill9() {
        guard let child = process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
    }

    func stop() {
        guard let child = process.withLock({ p -> Process? in defer { p = nil }; return p }) else { return }
        child.terminate()
        child.waitUntilExit()
        try? FileManager.default.removeItem(atPath: data)
    }

    /// Every stored event of the last day and the next (the tests' events are "now").
    func storedEventIDs(key: String) async throws -> [String] {
        let query = try TrailmarkQueryClient(host: host, key: key)
        defer { Task { await query.close() } }
        let now = Clock.nowMicros()
        var ids: [String] = []
        for try await row in query.allEvents(EventsQuery(from: now - 86_400_000_000, to: now + 86_400_000_000)) {
            if let id = row.event.eventID, !row.event.event.hasPrefix("$") { ids.append(id) }
        }
        return ids
    }

    /// Polls until `count` events are visible (the engine indexes committed events
    /// asynchronously), giving up after `attempts` × 50 ms.
    func waitForEvents(key: String, count: Int, attempts: Int = 400) async throws -> [String] {
        var ids: [String] = []
        for _ in 0..<attempts {
            ids = try await storedEventIDs(key: key)
            if ids.count >= count { return ids }
            try await Task.sleep(for: .milliseconds(50))
        }
        return ids
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { return 0 }
                return Int(UInt16(bigEndian: pointer.pointee.sin_port))
            }
        }
    }
}
