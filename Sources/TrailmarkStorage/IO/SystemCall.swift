import Glibc

/// Helpers turning a failed POSIX call into a `StorageError` naming the call, the file and
/// `errno`'s text. The only place `errno` is read.
enum SystemCall {
    /// The text of the current `errno`.
    static func errnoText() -> String {
        let code = errno
        return String(cString: strerror(code)) + " (errno \(code))"
    }

    static func error(_ call: String, path: String) -> StorageError {
        StorageError(.io, "\(call) \(path): \(errnoText())")
    }

    /// Runs `body`, retrying on EINTR; throws when it returns -1.
    @discardableResult
    static func check(_ call: String, path: String, _ body: () -> Int32) throws(StorageError) -> Int32 {
        while true {
            let result = body()
            if result != -1 { return result }
            if errno == EINTR { continue }
            throw error(call, path: path)
        }
    }

    /// Wall-clock milliseconds since 1970 (segment creation times, retention).
    static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
