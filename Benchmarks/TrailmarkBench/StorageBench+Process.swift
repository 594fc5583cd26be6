import Glibc

/// A scratch directory for the storage benchmarks, under `$TMPDIR` (default /tmp).
struct Scratch {
    let path: String

    init() throws {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/trailmark-bench-XXXXXX".utf8CString)
        path = try template.withUnsafeMutableBufferPointer { buffer in
            // The array is never empty, so baseAddress is non-nil.
            guard let made = mkdtemp(buffer.baseAddress!) else { throw BenchError(message: "mkdtemp in \(base) failed") }
            return String(cString: made)
        }
    }

    /// Removes a flat directory of files (what the log writes) under the scratch directory.
    func removeDirectory(_ directory: String) {
        guard let handle = opendir(directory) else { return }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(directory + "/" + name) }
        }
        closedir(handle)
        rmdir(directory)
    }

    func remove() { removeDirectory(path) }
}

/// Runs a program to completion; returns its exit status.
func spawnAndWait(_ path: String, _ arguments: [String]) throws -> Int32 {
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid = pid_t()
    let result = posix_spawn(&pid, path, nil, nil, argv, environ)
    guard result == 0 else { throw BenchError(message: "posix_spawn \(path): \(String(cString: strerror(result)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xFF
}

/// Starts a joinable POSIX thread running `body` (the benchmark's producers must be real
/// threads, not tasks on the 2-thread cooperative pool).
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    let result = pthread_create(&thread, nil, { raw in
        // Balanced with passRetained above; raw is the box pointer passed below.
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body() // raw: the box passed below
        return nil
    }, box)
    precondition(result == 0, "pthread_create failed: \(result)") // the benchmark cannot go on without threads
    return thread
}
