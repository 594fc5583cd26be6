import Glibc
@testable import TrailmarkStorage

/// A child process whose stdout is a pipe read line by line (stderr is inherited).
///
/// Invariant: `pid` is reaped exactly once (`waitForExit`), `output` closed in `deinit`.
final class ChildProcess {
    let pid: pid_t
    private let output: Int32
    private var buffer: [UInt8] = []
    private var reachedEOF = false

    init(_ path: String, _ arguments: [String]) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw StorageTestError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child = pid_t()
        let result = posix_spawn(&child, path, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard result == 0 else {
            close(pipeFDs[0])
            throw StorageTestError("posix_spawn \(path): \(String(cString: strerror(result)))")
        }
        pid = child
        output = pipeFDs[0]
    }

    deinit { close(output) }

    /// The next line of stdout, or nil at end of file (the child exited or was killed).
    func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            if reachedEOF { return nil }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                reachedEOF = true
                continue
            }
            buffer += chunk[..<n]
        }
    }

    func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    /// Reaps the child; returns the raw wait status.
    @discardableResult
    func waitForExit() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// The path of an executable built next to the running test bundle.
    static func sibling(_ name: String) -> String {
        var path = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &path, path.count - 1)
        let me = n > 0 ? String(decoding: path[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/" + name
    }
}

struct StorageTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A POSIX thread that must be joined (a happens-before edge ThreadSanitizer understands).
struct JoinableThread {
    private let thread: pthread_t

    init(_ body: @escaping @Sendable () -> Void) throws {
        thread = try WriterThread.start(detached: false, body)
    }

    func join() { pthread_join(thread, nil) }
}
