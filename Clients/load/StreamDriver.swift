import DequeModule
import Synchronization
import TrailmarkSDK
import TrailmarkTransport
import TrailmarkWire

/// What one stream knows about its batches when the run ends: for each batch sequence
/// number, how many events it carried and whether the server acknowledged it.
struct StreamLedger: Sendable {
    var counts: [Int32] = []
    var acked: [Bool] = []
}

/// The plan every stream follows.
struct StreamPlan: Sendable {
    var run: String
    var seed: UInt64
    var batchSize: Int
    /// Events this stream may generate (nil: until the deadline).
    var eventsMax: Int?
    /// Batches per second for this stream (nil: flat out).
    var batchesPerSecond: Double?
    /// Where in each period of `1 / batchesPerSecond` this stream sends, as a fraction in
    /// 0..<1. Streams get evenly spaced phases, so at a target rate batches arrive spread
    /// out, as from many independent clients, not all streams at the same instant (a burst
    /// of one batch per stream would make the last one wait for all the others and
    /// measure the harness's own bursts as ack latency).
    var phase: Double = 0
    var stopAt: ContinuousClock.Instant
    /// After `stopAt`, how long unacknowledged batches may still be retried.
    var drainUntil: ContinuousClock.Instant
    /// Batches in flight per stream before the sender waits for an ack.
    var window: Int
    /// Fraction of acknowledged batches sent again unchanged (a flaky SDK's retries).
    var retryDuplicates: Double
    /// Resend generated batches as templates (`BatchSource`); false: encode every batch.
    var templates = true
    var retry: RetryPolicy
}

/// One `Ingest/TrackStream` call at a time for one stream: a sender that generates, paces
/// and writes batches (at most `window` in flight) and a reader that matches each
/// `BatchAck` (acks come in batch order) and measures its latency. When the call fails
/// (server killed, connection lost), the unacknowledged batches are resent unchanged on a
/// new call after a backoff — same event ids, so the server stores them at most once.
struct StreamDriver: Sendable {
    let index: Int
    let transport: TransportClient
    let metrics: LoadMetrics
    let plan: StreamPlan
    let identifyLedger: IdentifyLedger
    /// The stream's generator and batch source, templates made before the run (`prepared`).
    let generator: EventGenerator
    let source: BatchSource

    /// The generator and source of stream `index` of `run`, its templates made now, before
    /// the clock starts (not for `--fresh-batches`, nor for a stream sending fewer events
    /// than its templates hold).
    static func prepared(index: Int, run: String, seed: UInt64, batchSize: Int, templates: Bool, eventsMax: Int?, now: Int64)
        -> (generator: EventGenerator, source: BatchSource)
    {
        var generator = EventGenerator(run: run, stream: index, seed: seed)
        var source = BatchSource(batchSize: batchSize, templates: templates)
        if templates && (eventsMax ?? Int.max) >= BatchSource.templateCount * batchSize {
            source.prepare(generator: &generator, now: now)
        }
        return (generator, source)
    }

    /// A batch written (or to be written) on the current call.
    struct Pending: Sendable {
        var seq: Int
        var bytes: [UInt8]
        var count: Int
        var sentAt: ContinuousClock.Instant
        var expectDuplicate: Bool
    }

    /// The stream's shared state, owned by the driver task and its reader task.
    final class StreamState: Sendable {
        let lock = Mutex(Shared())
        /// Identify calls still being sent (or retried); awaited before the ledger is final.
        let identifyTasks = Mutex<[Task<Void, Never>]>([])
    }

    /// State shared by the sender and the reader of one stream.
    struct Shared {
        var pending = Deque<Pending>()
        var resend: [Pending] = []
        var ledger = StreamLedger()
    }

    func run() async -> StreamLedger {
        let shared = StreamState()
        var generator = self.generator
        var source = self.source
        var random = SplitMix64(state: plan.seed ^ UInt64(index &+ 7919))
        var nextSeq = 0
        var generated = 0
        var attempt = 0
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            let sendingDone = clock.now >= plan.stopAt || (plan.eventsMax.map { generated >= $0 } ?? false)
            let idle = shared.lock.withLock { $0.pending.isEmpty && $0.resend.isEmpty }
            if sendingDone && idle { break }
            if clock.now >= plan.drainUntil { break }
            let outcome = await oneCall(shared: shared, generator: &generator, source: &source, random: &random, nextSeq: &nextSeq,
                                        generated: &generated, start: start)
            switch outcome {
            case .finished:
                attempt = 0
            case .failed(let error):
                metrics.error(error.code)
                let delay = plan.retry.delay(attempt: attempt, after: error, using: &random)
                attempt += 1
                try? await Task.sleep(for: delay)
            }
        }
        for task in shared.identifyTasks.withLock({ $0 }) { await task.value }
        return shared.lock.withLock { $0.ledger }
    }

    enum Outcome { case finished, failed(TrailmarkError) }

    // The sender side of one call; the reader runs as a child task.
    private func oneCall(shared: StreamState, generator: inout EventGenerator, source: inout BatchSource, random: inout SplitMix64,
                         nextSeq: inout Int, generated: inout Int, start: ContinuousClock.Instant) async -> Outcome {
        let call: ClientCall
        do {
            call = try await transport.open(TrailmarkRPC.trackStream.path)
        } catch {
            return .failed(TrailmarkError(wrapping: error))
        }
        let (slots, slotSink) = AsyncStream<Void>.makeStream()
        let metrics = self.metrics
        let plan = self.plan
        let reader = Task { () -> TrailmarkError? in
            defer { slotSink.finish() }
            return await Self.read(call: call, shared: shared, metrics: metrics, plan: plan, slots: slotSink)
        }
        let clock = ContinuousClock()
        var slotIterator = slots.makeAsyncIterator()
        var sendError: TrailmarkError?
        // Batches left over from a failed call go first, in their order.
        let leftovers = shared.lock.withLock { s -> [Pending] in
            let all = Array(s.pending)
            s.pending.removeAll()
            return all
        }
        var queue = Deque(leftovers)
        sending: while true {
            if queue.isEmpty {
                let resend = shared.lock.withLock { s -> Pending? in s.resend.isEmpty ? nil : s.resend.removeFirst() }
                if let resend {
                    queue.append(resend)
                } else {
                    let stop = clock.now >= plan.stopAt || (plan.eventsMax.map { generated >= $0 } ?? false)
                    if stop { break sending }
                    if let rate = plan.batchesPerSecond {
                        let due = start + .seconds((Double(nextSeq) + plan.phase) / rate)
                        if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                    }
                    let count = min(plan.batchSize, plan.eventsMax.map { $0 - generated } ?? plan.batchSize)
                    let now = Clock.nowMicros()
                    let bytes = source.bytes(seq: nextSeq, count: count, now: now, generator: &generator)
                    shared.lock.withLock { s in
                        s.ledger.counts.append(Int32(count))
                        s.ledger.acked.append(false)
                    }
                    queue.append(Pending(seq: nextSeq, bytes: bytes, count: count, sentAt: clock.now, expectDuplicate: false))
                    nextSeq += 1
                    generated += count
                    metrics.sent(events: count)
                    if nextSeq % 10 == 0 { sendIdentifies(generator.takeIdentifies(), shared: shared, seed: random.next()) }
                }
            }
            // Wait for a window slot.
            while shared.lock.withLock({ $0.pending.count }) >= plan.window {
                if await slotIterator.next() == nil { break sending }
            }
            guard var batch = queue.popFirst() else { continue }
            batch.sentAt = clock.now
            shared.lock.withLock { $0.pending.append(batch) }
            do {
                try await call.send(batch.bytes)
            } catch {
                sendError = TrailmarkError(wrapping: error)
                break sending
            }
        }
        // Anything generated but not yet written stays pending for the next call.
        if !queue.isEmpty { shared.lock.withLock { $0.pending.append(contentsOf: queue) } }
        if sendError == nil { call.finish() } else { call.cancel() }
        let readError = await reader.value
        if let error = sendError ?? readError { return .failed(error) }
        let left = shared.lock.withLock { !$0.pending.isEmpty }
        if left { return .failed(TrailmarkError(.unavailable, "the stream ended before every batch was acknowledged")) }
        return .finished
    }

    /// Sends the visitors' identify calls (`Identity/Identify`) beside the stream, without
    /// holding up the batches, retrying like an SDK (same calls, same timestamps) until the
    /// drain deadline; with `--retry-duplicates P` an acknowledged call is sent again with
    /// probability P. `--verify` checks them (`IdentifyLedger`).
    private func sendIdentifies(_ identifies: [Identify], shared: StreamState, seed: UInt64) {
        guard !identifies.isEmpty else { return }
        let transport = self.transport
        let metrics = self.metrics
        let ledger = self.identifyLedger
        let plan = self.plan
        ledger.sent(identifies)
        let task = Task {
            var random = SplitMix64(state: seed)
            let body = IdentifyBatch(identifies: identifies, sentAt: Clock.nowMicros()).encoded()
            var attempt = 0
            var acked = false
            while !acked {
                do {
                    _ = try IdentifyAck(decoding: try await transport.unary(TrailmarkRPC.identify.path, body, timeout: .seconds(30)))
                    ledger.acked(identifies)
                    metrics.identified(identifies.count)
                    acked = true
                } catch {
                    let failure = TrailmarkError(wrapping: error)
                    metrics.error(failure.code)
                    guard ContinuousClock.now < plan.drainUntil else { return }
                    try? await Task.sleep(for: plan.retry.delay(attempt: attempt, after: failure, using: &random))
                    attempt += 1
                }
            }
            if plan.retryDuplicates > 0, Double(random.next() % 1_000_000) < plan.retryDuplicates * 1_000_000 {
                // A flaky SDK's resend of an acknowledged call: must not add a second row.
                _ = try? await transport.unary(TrailmarkRPC.identify.path, body, timeout: .seconds(30))
            }
        }
        shared.identifyTasks.withLock { $0.append(task) }
    }

    /// Reads acks until the call ends; returns the failure, if any.
    private static func read(call: ClientCall, shared: StreamState, metrics: LoadMetrics, plan: StreamPlan,
                             slots: AsyncStream<Void>.Continuation) async -> TrailmarkError? {
        let clock = ContinuousClock()
        var random = SplitMix64(state: plan.seed ^ 0xA5A5)
        do {
            for try await message in call.responses {
                let now = clock.now
                // Counts only: a `String` per acknowledged id was most of the harness's allocations.
                let ack = try BatchAck.counts(decoding: message)
                let matched = shared.lock.withLock { s -> Pending? in
                    guard let first = s.pending.first, ack.batchID == BatchTemplate.batchID(seq: first.seq) else { return nil }
                    s.pending.removeFirst()
                    s.ledger.acked[first.seq] = true
                    if !first.expectDuplicate, plan.retryDuplicates > 0,
                       Double(random.next() % 1_000_000) < plan.retryDuplicates * 1_000_000 {
                        var again = first
                        again.expectDuplicate = true
                        s.resend.append(again)
                    }
                    return first
                }
                guard let batch = matched else {
                    return TrailmarkError(.internalError, "ack for batch \(ack.batchID.map(String.init) ?? "nil") out of order")
                }
                let micros = (now - batch.sentAt).components
                let latency = UInt64(max(0, micros.seconds * 1_000_000 + micros.attoseconds / 1_000_000_000_000))
                metrics.acked(events: batch.count, accepted: ack.accepted, duplicates: ack.duplicates,
                              latencyMicros: latency, sentAt: batch.sentAt, expectDuplicate: batch.expectDuplicate)
                slots.yield()
            }
            let status = await call.status()
            if let error = status.error { return TrailmarkError(wrapping: error) }
            return nil
        } catch {
            return TrailmarkError(wrapping: error)
        }
    }
}
