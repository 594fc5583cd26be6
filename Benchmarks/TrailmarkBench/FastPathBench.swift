import Foundation
import Logging
import TrailmarkEngine
import TrailmarkServices
import TrailmarkWire

/// The binary ingest fast path in process (no network, no TLS): `ScannedEventBatch.scan`
/// plus `IngestService.track(scanned:…)` on the h2load batch of the `ingest` suite
/// (`CodecBenchData.batch(count: 1000, seed: 7)`, no client event ids: the server makes
/// UUIDv7s), and its parts alone, in µs of CPU per event. Each row is the median of
/// `FASTPATH_BENCH_ROUNDS` rounds (default 7) with the range beside it; the machine is
/// shared, so compare binaries by alternating runs, not by one figure.
enum FastPathBench {
    static var batches: Int { Int(ProcessInfo.processInfo.environment["FASTPATH_BENCH_BATCHES"] ?? "") ?? 300 }
    static var rounds: Int { max(1, Int(ProcessInfo.processInfo.environment["FASTPATH_BENCH_ROUNDS"] ?? "") ?? 7) }

    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "fast path (in-process scan + IngestService.track(scanned:), h2load batch, \(batches) batches x \(rounds) rounds, µs CPU/event)")
        var events = CodecBenchData.batch(count: 1000, seed: 7)
        for i in events.indices { events[i].eventID = nil }
        let bytes = EventBatch(events: events).encoded()
        let limits = WireLimits.default
        guard let scanned = ScannedEventBatch.scan(bytes, limits: limits) else { throw BenchError(message: "the fast path declined the h2load batch") }
        let fields = serverFields(events, scanned: scanned)
        let n = batches
        let perEvent = Double(n * scanned.count) / 1e6  // seconds → µs per event

        var rows: [(String, [Double])] = []
        rows.append(("scan alone", sample { for _ in 0 ..< n { _ = ScannedEventBatch.scan(bytes, limits: limits) } }))
        rows.append(("server ids alone (GeneratedEventIDs, UUIDv7)", sample {
            var random = BenchRandom(seed: 5)
            for _ in 0 ..< n { _ = generatedIDs(count: scanned.count, using: &random) }
        }))
        rows.append(("encodedRecord alone", sample { for _ in 0 ..< n { _ = scanned.encodedRecord(project: "bench", fields: fields) } }))
        rows.append(("encodedAck alone", sample {
            for _ in 0 ..< n { _ = scanned.encodedAck(accepted: UInt32(scanned.count), duplicates: 0, generatedIDs: fields.generatedIDs) }
        }))

        let dir = NSTemporaryDirectory() + "trailmark-fastpath-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hub = try ServiceHub(configuration: ServiceHub.Configuration(dataDirectory: dir), logger: Logger(label: "bench"))
        let tailer = Task { await hub.runTailer() }
        _ = await hub.progress.waitReplayed()
        var full: [Double] = []
        for _ in 0 ..< rounds {
            let start = cpuSeconds()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0 ..< 8 {
                    group.addTask {
                        for _ in stride(from: worker, to: n, by: 8) {
                            guard let s = ScannedEventBatch.scan(bytes, limits: limits) else { throw BenchError(message: "declined") }
                            _ = try await hub.ingest.track(scanned: s, project: "bench", limits: limits)
                        }
                    }
                }
                try await group.waitForAll()
            }
            full.append(cpuSeconds() - start)
        }
        await hub.shutdown()
        _ = await tailer.value
        rows.insert(("scan + track(scanned:), 8 producers, group commit (process CPU, log writer and indexer included)", full), at: 0)

        for (name, seconds) in rows {
            let us = seconds.map { $0 / perEvent }.sorted()
            table.add(name, value: fmt(us[us.count / 2], decimals: 3) + " µs", anchor: "range " + fmt(us[0], decimals: 3) + "–" + fmt(us[us.count - 1], decimals: 3))
        }
        return table
    }

    /// `rounds` timings of `body` in process CPU seconds.
    private static func sample(_ body: () -> Void) -> [Double] {
        (0 ..< rounds).map { _ in
            let start = cpuSeconds()
            body()
            return cpuSeconds() - start
        }
    }

    /// A server id for each of `count` events, as the fast path makes them.
    private static func generatedIDs(count: Int, using random: inout BenchRandom) -> GeneratedEventIDs {
        GeneratedEventIDs(width: UUIDv7.textBytes, generating: [Bool](repeating: true, count: count)) { _, id in
            UUIDv7.write(milliseconds: 1_767_225_000_000, using: &random, into: id)
        }
    }

    /// What the service computes for the batch: ids, shifted timestamps, attributions.
    private static func serverFields(_ events: [Event], scanned: ScannedEventBatch) -> ScannedServerFields {
        var random = BenchRandom(seed: 9)
        var distinct: [Attribution] = [], index: [UInt32] = []
        for e in events {
            let a = AttributionClassifier.classify(url: e.url, referrer: e.referrer)
            if let k = distinct.firstIndex(of: a) { index.append(UInt32(k)) } else { index.append(UInt32(distinct.count)); distinct.append(a) }
        }
        return ScannedServerFields(
            receivedAt: 1_767_225_100_000_000, timestamps: events.map { ($0.timestamp ?? 0) + 1000 },
            generatedIDs: generatedIDs(count: events.count, using: &random), attributions: distinct, attributionIndex: index)
    }

    /// CPU time of the whole process (every thread), in seconds.
    private static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
