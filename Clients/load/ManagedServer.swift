import Foundation
import Synchronization
import TrailmarkSDK
import TrailmarkTransport
import TrailmarkWire

/// A `trailmark serve` process the harness owns (`--server-bin`): started on a data
/// directory and a fixed loopback port (h2c), SIGKILLed and restarted on the same directory
/// by `--chaos`. Its output goes to `<data>/server.log`.
final class ManagedServer: Sendable {
    let binary: String
    let data: String
    let port: Int
    let extraArguments: [String]
    /// The running process; only this class starts or kills it.
    private let process = Mutex<Process?>(nil)
    private let restartCount = Atomic<Int>(0)

    init(binary: String, data: String, port: Int, extraArguments: [String]) {
        self.binary = binary
        self.data = data
        self.port = port
        self.extraArguments = extraArguments
    }

    var address: ServerAddress { ServerAddress(host: "127.0.0.1", port: port, plaintext: true) }
    var restarts: Int { restartCount.load(ordering: .relaxed) }

    /// Creates a secret key for project `load` with `trailmark keys create` and returns it.
    func createKey() throws(TrailmarkError) -> String {
        let output = try runToCompletion([binary, "keys", "create", "--data", data, "--project", "load", "--kind", "secret"])
        guard let key = output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }).last(where: { $0.hasPrefix("sk_") }) else {
            throw TrailmarkError(.internalError, "keys create printed no key: \(output)")
        }
        return key
    }

    /// Starts the server and waits until `Health/Check` answers `ok` (at most `timeout`).
    func start(timeout: Duration = .seconds(60)) async throws(TrailmarkError) {
        try? FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: "\(data)/server.log") {
            _ = FileManager.default.createFile(atPath: "\(data)/server.log", contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: "\(data)/server.log") else {
            throw TrailmarkError(.internalError, "cannot open \(data)/server.log")
        }
        handle.seekToEndOfFile()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["serve", "--data", data, "--port", String(port), "--host", "127.0.0.1", "--plaintext"] + extraArguments
        child.standardOutput = handle
        child.standardError = handle
        do { try child.run() } catch { throw TrailmarkError(.internalError, "cannot start \(binary): \(error)") }
        process.withLock { $0 = child }
        try await waitHealthy(timeout: timeout)
    }

    /// Polls `Health/Check` until the server answers `ok`.
    func waitHealthy(timeout: Duration) async throws(TrailmarkError) {
        let client = try TransportClient.trailmark(address: address, key: nil)
        defer { Task { await client.close() } }
        let query = TrailmarkQueryClient(transport: client, timeout: .seconds(2))
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            if let child = process.withLock({ $0 }), !child.isRunning {
                throw TrailmarkError(.unavailable, "the server exited with status \(child.terminationStatus); see \(data)/server.log")
            }
            do {
                let health = try await query.health()
                if health.status == .ok { return }
                last = health.status.name
            } catch {
                last = error.description
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw TrailmarkError(.unavailable, "the server was not healthy after \(timeout): \(last)")
    }

    /// SIGKILL, then wait for the process to be gone.
    func kill9() {
        guard let child = process.withLock({ current -> Process? in defer { current = nil }; return current }) else { return }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
    }

    /// SIGKILL and start again on the same directory and port.
    func restart() async throws(TrailmarkError) {
        kill9()
        restartCount.add(1, ordering: .relaxed)
        try await start()
    }

    /// SIGTERM (graceful shutdown), waiting for the exit.
    func stop() {
        guard let child = process.withLock({ current -> Process? in defer { current = nil }; return current }) else { return }
        child.terminate()
        child.waitUntilExit()
    }

    private func runToCompletion(_ arguments: [String]) throws(TrailmarkError) -> String {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: arguments[0])
        child.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        child.standardOutput = pipe
        do { try child.run() } catch { throw TrailmarkError(.internalError, "cannot run \(arguments[0]): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else { throw TrailmarkError(.internalError, "\(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A free loopback TCP port (bound, read, released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port: Int = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { return 0 }
                return Int(UInt16(bigEndian: pointer.pointee.sin_port))
            }
        }
        return port
    }
}
