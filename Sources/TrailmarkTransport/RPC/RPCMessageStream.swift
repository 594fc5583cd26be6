import DequeModule
import Synchronization

/// The request messages of a client-streaming or bidirectional RPC (or a streaming client
/// call's responses), as an `AsyncSequence` of raw message bodies.
///
/// Backpressure: a message's bytes are returned to HTTP/2 flow control (`onConsumed`) only
/// when the consumer takes it, so a slow handler closes the peer's window and the peer stops
/// sending; buffered memory is bounded by the stream's flow-control window.
///
/// Ends with `nil` after the peer's END_STREAM; throws the `RPCError` the call failed with
/// (CANCELLED when the peer reset the stream, or a framing error). Single consumer.
public struct RPCMessageStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let buffer: RPCInboundBuffer

    init(buffer: RPCInboundBuffer) { self.buffer = buffer }

    public func makeAsyncIterator() -> Iterator { Iterator(buffer: buffer) }

    public struct Iterator: AsyncIteratorProtocol {
        let buffer: RPCInboundBuffer
        public mutating func next() async throws -> [UInt8]? { try await buffer.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> [UInt8]? {
            try await buffer.next()
        }
    }
}

/// The shared state behind `RPCMessageStream`: produced on the connection's event loop,
/// consumed by the handler's task. Guarded by a `Mutex`; continuations are resumed after
/// the lock is released.
final class RPCInboundBuffer: Sendable {
    private struct State {
        var messages: Deque<[UInt8]> = []
        /// Wire bytes (prefix included) of each queued message, for flow control.
        var wireBytes: Deque<Int> = []
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var finished = false
        var failure: RPCError?
    }

    private let state = Mutex(State())
    /// Called (from the consumer's context) with the wire bytes of each taken message.
    private let onConsumed: @Sendable (Int) -> Void

    init(onConsumed: @escaping @Sendable (Int) -> Void) { self.onConsumed = onConsumed }

    /// Producer: a complete message that occupied `wireBytes` of DATA payload.
    func push(_ message: [UInt8], wireBytes: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.messages.append(message)
            state.wireBytes.append(wireBytes)
            return nil
        }
        if let waiter {
            onConsumed(wireBytes)
            waiter.resume(returning: message)
        }
    }

    /// Producer: the peer ended its side (nil) or the call failed.
    func finish(_ failure: RPCError? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = failure
            if failure != nil { state.messages.removeAll(); state.wireBytes.removeAll() }
            defer { state.waiter = nil }
            return state.messages.isEmpty ? state.waiter : nil
        }
        if let failure { waiter?.resume(throwing: failure) } else { waiter?.resume(returning: nil) }
    }

    func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                enum Outcome { case message([UInt8], Int), end, failure(RPCError), wait }
                let outcome = state.withLock { state -> Outcome in
                    if let message = state.messages.popFirst() { return .message(message, state.wireBytes.popFirst() ?? 0) }
                    if state.finished { return state.failure.map(Outcome.failure) ?? .end }
                    precondition(state.waiter == nil, "RPCMessageStream has a single consumer")
                    state.waiter = continuation
                    return .wait
                }
                switch outcome {
                case .message(let message, let bytes):
                    onConsumed(bytes)
                    continuation.resume(returning: message)
                case .end: continuation.resume(returning: nil)
                case .failure(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            finish(RPCError(.cancelled, "the call was cancelled"))
        }
    }
}
