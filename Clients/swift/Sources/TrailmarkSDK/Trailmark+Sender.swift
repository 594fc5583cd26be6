import TrailmarkTransport
import TrailmarkWire

extension Trailmark {
    /// Sends queued identifies, then queued events batch by batch, until the queue is empty
    /// (`all`) or holds less than a full batch, or a batch fails after its retries. Runs in
    /// the single sender task.
    func drain(all: Bool) async -> TrailmarkError? {
        var failure: TrailmarkError?
        defer { state.withLock { $0.sender = nil } }
        let identifies = state.withLock { s -> [Identify] in defer { s.identifies = [] }; return s.identifies }
        if !identifies.isEmpty {
            let sent = await deliver { () async throws(TrailmarkError) -> Void in
                let batch = IdentifyBatch(identifies: identifies, sentAt: Clock.nowMicros())
                let bytes = try await self.unary(TrailmarkRPC.identify, batch.encoded())
                _ = try IdentifyAck(decodingResponse: bytes)
            }
            switch sent {
            case .ok: break
            case .retryLater(let error):
                state.withLock { $0.identifies.insert(contentsOf: identifies, at: 0) }
                return error
            case .refused(let error):
                failure = error
                options.onError?(TrailmarkFailure(error: error, eventIDs: [], identifies: identifies.count))
            }
        }
        while true {
            let batch = state.withLock { s -> [Event] in
                guard all || s.queue.count >= options.flushAt else { return [] }
                return s.queue.take(eventsMax: options.flushAt, bytesMax: options.maxBatchSizeBytes)
            }
            if batch.isEmpty { return failure }
            var ack = BatchAck(accepted: 0, duplicates: 0)
            let outcome = await deliver { () async throws(TrailmarkError) -> Void in
                ack = try await self.send(EventBatch(events: batch, sentAt: Clock.nowMicros()))
            }
            switch outcome {
            case .ok:
                state.withLock { s in
                    s.stats.sent += UInt64(batch.count)
                    s.stats.batches += 1
                    s.stats.duplicates += UInt64(ack.duplicates)
                }
            case .retryLater(let error):
                state.withLock { $0.queue.putBack(batch) }
                return error
            case .refused(let error):
                failure = error
                state.withLock { $0.stats.rejected += UInt64(batch.count) }
                options.onError?(TrailmarkFailure(error: error, eventIDs: batch.compactMap(\.eventID), identifies: 0))
            }
        }
    }

    enum Delivery {
        case ok
        /// Retries exhausted on a retryable error: keep the data.
        case retryLater(TrailmarkError)
        /// Refused for good: drop the data and report it.
        case refused(TrailmarkError)
    }

    /// Runs `attempt` with the retry policy: exponential backoff with full jitter, or the
    /// server's `grpc-retry-pushback-ms` hint; only retryable statuses are retried.
    func deliver(_ attempt: () async throws(TrailmarkError) -> Void) async -> Delivery {
        var generator = SystemRandomNumberGenerator()
        var tries = 0
        while true {
            do {
                try await attempt()
                return .ok
            } catch {
                guard error.isRetryable else { return .refused(error) }
                if let max = options.retry.attemptsMax, tries >= max { return .retryLater(error) }
                let delay = options.retry.delay(attempt: tries, after: error, using: &generator)
                tries += 1
                state.withLock { $0.stats.retries += 1 }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// One batch over the configured delivery (unary `Ingest/Track` or the TrackStream).
    func send(_ batch: EventBatch) async throws(TrailmarkError) -> BatchAck {
        switch options.delivery {
        case .unary:
            return try BatchAck(decodingResponse: try await unary(TrailmarkRPC.track, batch.encoded(capacity: batch.events.count * 128)))
        case .stream:
            return try await stream.send(batch)
        }
    }

    func unary(_ method: RPCMethod, _ body: [UInt8]) async throws(TrailmarkError) -> [UInt8] {
        do {
            return try await transport.unary(method.path, body, timeout: options.timeout)
        } catch {
            throw TrailmarkError(wrapping: error)
        }
    }
}

extension WireMessage {
    /// Decodes a response body; a malformed one is INTERNAL (not retried).
    init(decodingResponse bytes: [UInt8]) throws(TrailmarkError) {
        do { self = try Self(decoding: bytes) } catch { throw TrailmarkError(.internalError, "cannot decode the response: \(error)") }
    }
}
