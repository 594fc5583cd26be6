import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop, so a handler task started by a
/// connection runs on that connection's thread (no hop for handlers that finish without
/// awaiting other executors).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension TimeAmount {
    /// The same span as a Swift `Duration`, truncated to nanoseconds.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension SocketAddress {
    /// `ip:port` / `[ip]:port`, for logs and `RPCRequestContext.peer`.
    var peerDescription: String {
        guard let ip = ipAddress else { return description }
        let port = self.port ?? 0
        if case .v6 = self { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
