import TrailmarkTransport
import TrailmarkWire

/// A long-lived `Ingest/TrackStream` call for very high event rates: batches go out on one
/// HTTP/2 stream and each `send` returns its `BatchAck` once the batch is durable. Acks
/// come back in batch order (WIRE.md), so callers may also pipeline with `sendNoWait` and
/// `nextAck`. After a failure the call is dropped and the next `send` opens a new one;
/// resend the failed batches unchanged (same event ids) and the server stores them once.
public actor TrackStream {
    private let transport: TransportClient
    private let timeout: Duration?
    private var call: ClientCall?
    private var acks: RPCMessageStream.Iterator?
    private var nextBatchID: UInt64 = 1

    /// A stream over `transport` (the SDK's connection, or one made with
    /// `TransportClient.trailmark(address:key:)`). `timeout` bounds the whole call.
    public init(transport: TransportClient, timeout: Duration? = nil) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Sends one batch and waits for its acknowledgement.
    public func send(_ batch: EventBatch) async throws(TrailmarkError) -> BatchAck {
        try await sendNoWait(batch)
        return try await nextAck()
    }

    /// Writes one batch without waiting for its ack (stamped with a fresh `batchID` when
    /// it has none). Returns the batch id used.
    @discardableResult
    public func sendNoWait(_ batch: EventBatch) async throws(TrailmarkError) -> UInt64 {
        var batch = batch
        let id = batch.batchID ?? nextBatchID
        nextBatchID = max(nextBatchID, id) &+ 1
        batch.batchID = id
        do {
            let call = try await openIfNeeded()
            try await call.send(batch.encoded(capacity: batch.events.count * 128))
            return id
        } catch {
            reset()
            throw TrailmarkError(wrapping: error)
        }
    }

    /// The next acknowledgement, in the order the batches were written.
    public func nextAck() async throws(TrailmarkError) -> BatchAck {
        guard let call, var iterator = acks else { throw TrailmarkError(.failedPrecondition, "no batch in flight") }
        do {
            guard let bytes = try await iterator.next(isolation: self) else {
                let status = await call.status()
                reset()
                throw TrailmarkError(wrapping: status.error ?? RPCError(.unavailable, "the stream ended"))
            }
            acks = iterator
            return try BatchAck(decoding: bytes)
        } catch {
            reset()
            throw TrailmarkError(wrapping: error)
        }
    }

    /// Ends the call politely (half-close), waiting for the server's final status.
    public func close() async {
        guard let call else { return }
        call.finish()
        _ = await call.status()
        reset()
    }

    private func openIfNeeded() async throws -> ClientCall {
        if let call { return call }
        let fresh = try await transport.open(TrailmarkRPC.trackStream.path, timeout: timeout)
        call = fresh
        acks = fresh.responses.makeAsyncIterator()
        return fresh
    }

    private func reset() {
        call?.cancel()
        call = nil
        acks = nil
    }
}
