/// Sends response messages of a server-streaming or bidirectional RPC (or request messages
/// of a streaming client call).
///
/// `write` returns once the message is queued on the connection; it suspends while more
/// than the stream's outbound budget (256 KiB) is waiting for the peer's flow-control
/// window, so a peer that stops reading stops the handler instead of growing memory.
/// Throws CANCELLED / UNAVAILABLE once the stream or connection is gone.
public struct RPCMessageWriter: Sendable {
    private let sink: @Sendable ([UInt8]) async throws -> Void

    init(sink: @escaping @Sendable ([UInt8]) async throws -> Void) { self.sink = sink }

    /// Sends one message body (the 5-byte prefix is added here).
    public func write(_ message: [UInt8]) async throws { try await sink(message) }

    /// Sends each message in order.
    public func write<S: Sequence<[UInt8]>>(contentsOf messages: S) async throws {
        for message in messages { try await sink(message) }
    }
}
