import Foundation
import TrailmarkEngine
import TrailmarkWire

/// How long one ingest call holds a project while its `event_id` set grows: 16M events with
/// distinct ids (`TRAILMARK_BENCH_ID_GROWTH` events, default 16,000,000) ingested in
/// batches of 1,000 into an engine that was not pre-sized, timing each call. The slowest
/// calls are the set's growth steps (a whole-table rehash before session 5).
extension EngineBench {
    static func eventIDGrowth(into table: inout BenchTable) {
        let total = Int(ProcessInfo.processInfo.environment["TRAILMARK_BENCH_ID_GROWTH"] ?? "") ?? 16_000_000
        guard total > 0 else { return }
        let batch = 1_000
        let engine = EventEngine(fetcher: { _, _ in nil })
        var times: [Double] = [], cpu: [Double] = []
        times.reserveCapacity(total / batch)
        cpu.reserveCapacity(total / batch)
        var events = [Event](repeating: Event(event: "e", anonymousID: "a"), count: batch)
        for b in 0..<total / batch {
            for i in 0..<batch { events[i].eventID = "id-\(b * batch + i)" }
            let stored = StoredEventBatch(project: project, events: events)
            let c0 = threadCPUSeconds()
            times.append(measure { engine.ingest(stored, recordSeq: UInt64(b + 1)) })
            cpu.append(threadCPUSeconds() - c0)
        }
        // Thread CPU time: what the call itself costs, without the time this shared
        // machine's other processes held the core (wall-clock spikes of 100+ ms at load 5).
        let sorted = cpu.sorted()
        let wallWorst = times.max() ?? 0
        let p99 = sorted[sorted.count * 99 / 100], p999 = sorted[sorted.count * 999 / 1000], median = sorted[sorted.count / 2]
        let worst = sorted.suffix(5).reversed().map { fmt($0 * 1000) }.joined(separator: ", ")
        log("event-id growth: \(total) ids, per batch of \(batch): median \(fmt(median * 1000, decimals: 3)) ms, p99 \(fmt(p99 * 1000, decimals: 3)), p99.9 \(fmt(p999 * 1000, decimals: 3)), worst \(worst) ms (thread CPU); worst wall \(fmt(wallWorst * 1000)) ms")
        table.add("\(total / 1_000_000)M event ids, batches of \(batch): slowest ingest call (thread CPU)", value: "\(fmt(sorted.last! * 1000)) ms",  // at least one batch
                  anchor: "median \(fmt(median * 1000, decimals: 3)) ms, p99 \(fmt(p99 * 1000, decimals: 3)), p99.9 \(fmt(p999 * 1000, decimals: 3)); 5 slowest \(worst) ms; worst wall \(fmt(wallWorst * 1000)) ms",
                  goal: "bounded (ack p99 ≤ 10 ms)")
    }
}
