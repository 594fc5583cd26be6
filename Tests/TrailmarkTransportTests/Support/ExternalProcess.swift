import Foundation

/// Runs an external program (curl, nghttp, openssl, python3-h2 probes) without blocking
/// the cooperative thread pool, capturing its output.
struct ExternalProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func exists(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Starts `executable`; `run` waits for it, `start` returns the handle.
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let collected = OutputCollector()
        out.fileHandleForReading.readabilityHandler = { collected.append(stdout: $0.availableData) }
        err.fileHandleForReading.readabilityHandler = { collected.append(stderr: $0.availableData) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
                if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
                try? input.fileHandleForWriting.close()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        collected.append(stdout: out.fileHandleForReading.readDataToEndOfFile())
        collected.append(stderr: err.fileHandleForReading.readDataToEndOfFile())
        return Output(status: process.terminationStatus, stdout: collected.stdout, stderr: collected.stderr)
    }

    /// The repository's `Tests/transport` directory (scripts used by the peer tests).
    static var scriptsDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("transport").path
    }
}

/// Thread-safe accumulation of a child's output.
final class OutputCollector: @unchecked Sendable {
    // @unchecked Sendable: every access goes through `lock`.
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    func append(stdout data: Data) { lock.withLock { out.append(data) } }
    func append(stderr data: Data) { lock.withLock { err.append(data) } }
    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
}
