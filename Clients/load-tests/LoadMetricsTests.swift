import Testing
@testable import trailmark_load

/// `--warmup`: acks of batches sent before the cut are counted but kept out of the
/// latency percentiles; without a cut every ack is in them.
@Suite struct LoadMetricsTests {
    @Test func warmUpBatchesAreCountedButNotInTheLatencies() {
        let clock = ContinuousClock()
        let start = clock.now
        let cut = start + .seconds(1)
        let metrics = LoadMetrics(latencyFrom: cut)
        // Three slow batches sent during the warm-up, two fast ones after it.
        for i in 0 ..< 3 {
            metrics.acked(events: 10, accepted: 10, duplicates: 0, latencyMicros: 50_000, sentAt: start + .milliseconds(100 * i), expectDuplicate: false)
        }
        for i in 0 ..< 2 {
            metrics.acked(events: 10, accepted: 10, duplicates: 0, latencyMicros: 2_000, sentAt: cut + .milliseconds(i), expectDuplicate: false)
        }
        let s = metrics.snapshot()
        #expect(s.eventsAcked == 50 && s.batchesAcked == 5)
        #expect(s.warmupBatches == 3 && s.latency.totalCount == 2)
        #expect(s.latency.max < 3_000)

        let all = LoadMetrics()
        all.acked(events: 10, accepted: 10, duplicates: 0, latencyMicros: 50_000, sentAt: start, expectDuplicate: false)
        #expect(all.snapshot().latency.totalCount == 1 && all.snapshot().warmupBatches == 0)
    }
}
