import Foundation
import Logging
import TrailmarkEngine
import TrailmarkServices
import TrailmarkWire

/// In-process ingest through the service actors (no network): where the time of one
/// 1,000-event batch goes, next to the end-to-end `ingest` suite. Rows: the full
/// `IngestService.track` path with group commit (8 concurrent producers), and its parts
/// measured alone on the same events — validation, attribution, encoding.
enum ServicesBench {
    static var batches: Int { Int(ProcessInfo.processInfo.environment["SERVICES_BENCH_BATCHES"] ?? "") ?? 400 }
    /// `SERVICES_BENCH_PARTS=0` skips the parts measured alone (for profiling `track`).
    static var measuresParts: Bool { ProcessInfo.processInfo.environment["SERVICES_BENCH_PARTS"] != "0" }

    static func run() async throws -> BenchTable {
        var table = BenchTable(title: "services (in-process IngestService.track, 1,000-event batches, \(batches) batches)")
        var events = CodecBenchData.batch(count: 1000, seed: 11)
        for i in events.indices { events[i].eventID = nil }
        let batch = EventBatch(events: events)

        let validator = EventValidator()
        let parts = measuresParts ? batches : 0
        let validate = try measure {
            for _ in 0..<parts {
                var copy = events
                for i in copy.indices { try validator.validate(&copy[i], path: "") }
            }
        }
        let attribute = measure {
            for _ in 0..<parts { for e in events { _ = AttributionClassifier.classify(url: e.url, referrer: e.referrer) } }
        }
        let encode = measure {
            for _ in 0..<parts { _ = StoredEventBatch(project: "p", events: events).encoded(capacity: 96_000) }
        }
        var random = BenchRandom(seed: 3)
        let ids = measure {
            for _ in 0..<parts { for _ in 0..<1000 { _ = UUIDv7.make(milliseconds: 1_700_000_000_000, using: &random) } }
        }

        let dir = NSTemporaryDirectory() + "trailmark-services-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hub = try ServiceHub(configuration: ServiceHub.Configuration(dataDirectory: dir), logger: Logger(label: "bench"))
        let tailer = Task { await hub.runTailer() }
        _ = await hub.progress.waitReplayed()
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for _ in stride(from: worker, to: batches, by: 8) { _ = try await hub.ingest.track(batch, project: "bench") }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start
        let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let indexed = await hub.progress.wait(untilIndexed: 0)
        await hub.shutdown()
        _ = await tailer.value
        _ = indexed

        let n = Double(batches * 1000)
        table.add("IngestService.track, group commit, 8 producers", value: fmt(n / total, decimals: 0) + " events/s")
        table.add("  validation alone", value: fmt(n / validate, decimals: 0) + " events/s")
        table.add("  attribution alone", value: fmt(n / attribute, decimals: 0) + " events/s")
        table.add("  UUIDv7 event ids alone (seeded generator, as ingest)", value: fmt(n / ids, decimals: 0) + " events/s")
        table.add("  StoredEventBatch encoding alone", value: fmt(n / encode, decimals: 0) + " events/s")
        return table
    }
}
