import Glibc

/// Starts a detached POSIX thread for the log writer.
///
/// The writer blocks in `fdatasync` and parks on a semaphore, which must not happen on the
/// Swift concurrency pool's few threads; it gets a thread of its own. Invariant: the body
/// runs exactly once; the box holding it is released by the thread when it ends.
enum WriterThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping @Sendable () -> Void) throws(StorageError) {
        _ = try start(detached: true, body)
    }

    /// Starts a thread; a joinable one (`detached: false`) must be joined with `pthread_join`.
    static func start(detached: Bool, _ body: @escaping @Sendable () -> Void) throws(StorageError) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE))
        let result = pthread_create(&thread, &attributes, { raw in
            // Balanced with passRetained above: this thread owns the box now.
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue() // raw: the box pointer passed below
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw StorageError(.io, "pthread_create for the log writer: \(String(cString: strerror(result)))")
        }
        return thread
    }
}
