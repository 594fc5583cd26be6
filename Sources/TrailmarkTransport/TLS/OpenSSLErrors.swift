import COpenSSL

/// Drains OpenSSL's per-thread error queue into Swift strings.
///
/// OpenSSL records failures in a thread-local queue; every wrapper calls this right after a
/// failing call on the same thread, so the text belongs to that call. (Printing with
/// `ERR_print_errors_fp(stderr)` is not possible: C globals such as `stderr` are not
/// concurrency-safe in Swift 6.)
enum OpenSSLErrors {
    /// The queued errors joined with "; ", or `fallback` when the queue is empty. Clears the queue.
    static func drain(fallback: String = "unknown OpenSSL error") -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }  // non-empty array
            if parts.count < 8 { parts.append(text) }
        }
        return parts.isEmpty ? fallback : parts.joined(separator: "; ")
    }

    /// A `TransportError` of `code` whose message is `what` plus the drained queue.
    static func error(_ code: TransportError.Code, _ what: String) -> TransportError {
        TransportError(code, "\(what): \(drain())")
    }
}
