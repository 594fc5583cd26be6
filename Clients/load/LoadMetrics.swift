import Histogram
import Synchronization
import TrailmarkWire

/// Counters and the ack-latency histogram shared by every stream, read by the progress
/// line and the final report. Written once per acknowledged batch (a few thousand times a
/// second at most), so one mutex is cheap enough.
final class LoadMetrics: Sendable {
    struct State {
        /// Ack latency in microseconds, 1 µs .. 10 min, 3 significant digits.
        var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var eventsSent: UInt64 = 0
        /// Distinct events acknowledged (deliberate duplicate resends excluded).
        var eventsAcked: UInt64 = 0
        var eventsAccepted: UInt64 = 0
        var duplicatesReported: UInt64 = 0
        var batchesAcked: UInt64 = 0
        var duplicateResends: UInt64 = 0
        /// Resent batches whose ack did not report every event as a duplicate, plus acks
        /// whose counts do not add up to the batch size.
        var ackMismatches: UInt64 = 0
        var errors: [String: UInt64] = [:]
        /// Identify calls acknowledged.
        var identifies: UInt64 = 0
        /// Acks of batches sent during the warm-up: counted, but not in `latency`.
        var warmupBatches: UInt64 = 0
    }

    let state = Mutex(State())
    /// Batches sent before this instant are left out of the latency histogram (`--warmup`:
    /// a cold server's first allocations and table growths are not its steady state).
    let latencyFrom: ContinuousClock.Instant?

    init(latencyFrom: ContinuousClock.Instant? = nil) {
        self.latencyFrom = latencyFrom
    }

    func sent(events: Int) {
        state.withLock { $0.eventsSent += UInt64(events) }
    }

    func acked(events: Int, accepted: UInt32, duplicates: UInt32, latencyMicros: UInt64, sentAt: ContinuousClock.Instant, expectDuplicate: Bool) {
        let warmingUp = latencyFrom.map { sentAt < $0 } ?? false
        state.withLock { s in
            if warmingUp { s.warmupBatches += 1 } else { _ = s.latency.record(max(1, latencyMicros)) }
            s.batchesAcked += 1
            s.eventsAccepted += UInt64(accepted)
            s.duplicatesReported += UInt64(duplicates)
            // A deliberate resend acknowledges no new event: it is counted on its own.
            if expectDuplicate { s.duplicateResends += 1 } else { s.eventsAcked += UInt64(events) }
            let consistent = Int(accepted) + Int(duplicates) == events && (!expectDuplicate || Int(duplicates) == events)
            if !consistent { s.ackMismatches += 1 }
        }
    }

    func identified(_ count: Int) {
        state.withLock { $0.identifies += UInt64(count) }
    }

    func error(_ code: StatusCode) {
        state.withLock { $0.errors[code.description, default: 0] += 1 }
    }

    func snapshot() -> State { state.withLock { $0 } }
}
