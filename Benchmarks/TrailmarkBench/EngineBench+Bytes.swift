import TrailmarkEngine
import TrailmarkWire

/// Indexing event records from their bytes (`EventEngine.ingest(storedEventBatch:recordSeq:)`)
/// against indexing decoded batches, on the same encoded records in the same run: three
/// alternating rounds of each into fresh engines, best round reported.
extension EngineBench {
    static func bytesReplay(data: EngineBenchData, fetcher: EngineBenchFetcher, label: String, into table: inout BenchTable) throws {
        var decodeAndIngest = Double.infinity, ingestOnly = Double.infinity, fromBytes = Double.infinity, scanOnly = Double.infinity
        var events = 0
        var counts: [Int] = []
        for _ in 0..<3 {
            // Old path: decode the record (as replay did) and ingest the `[Event]`.
            let a = EventEngine(fetcher: { _, seq in fetcher.fetch(seq: seq) })
            a.reserve(project: project, events: data.rowCount)
            var decodeSeconds = 0.0, ingestSeconds = 0.0
            events = 0
            for r in 0..<data.recordStart.count {
                let bytes = fetcher.encoded[r]
                if bytes.isEmpty {
                    if let i = data.record(r, project: project).identifies { a.ingest(i, recordSeq: UInt64(r + 1)) }
                    continue
                }
                var batch: StoredEventBatch?
                decodeSeconds += try measure { batch = try StoredEventBatch(decoding: bytes, limits: .logRecords) }
                ingestSeconds += measure { a.ingest(batch!, recordSeq: UInt64(r + 1)) }  // decoded just above
                events += batch!.events.count  // decoded just above
            }
            decodeAndIngest = min(decodeAndIngest, decodeSeconds + ingestSeconds)
            ingestOnly = min(ingestOnly, ingestSeconds)
            // New path: the same records from their bytes.
            let b = EventEngine(fetcher: { _, seq in fetcher.fetch(seq: seq) })
            b.reserve(project: project, events: data.rowCount)
            var bytesSeconds = 0.0
            for r in 0..<data.recordStart.count {
                let bytes = fetcher.encoded[r]
                if bytes.isEmpty {
                    if let i = data.record(r, project: project).identifies { b.ingest(i, recordSeq: UInt64(r + 1)) }
                    continue
                }
                bytesSeconds += try measure { _ = try bytes.withUnsafeBytes { try b.ingest(storedEventBatch: $0, recordSeq: UInt64(r + 1)) } }
            }
            fromBytes = min(fromBytes, bytesSeconds)
            // The view alone (validation and column refs), the floor of the bytes path.
            var scanSeconds = 0.0
            for bytes in fetcher.encoded where !bytes.isEmpty {
                scanSeconds += try measure { _ = try StoredEventBatchView.with(bytes) { $0.count } }
            }
            scanOnly = min(scanOnly, scanSeconds)
            counts = [a.eventCount(project: project), b.eventCount(project: project)]
        }
        let perEvent = { (s: Double) in fmt(s * 1e6 / Double(max(events, 1)), decimals: 3) }
        log("bytes replay: decode+ingest \(perEvent(decodeAndIngest)) us/event, ingest [Event] \(perEvent(ingestOnly)), from bytes \(perEvent(fromBytes)) (view alone \(perEvent(scanOnly))); rows \(counts)")
        table.add("\(label): index event records from their bytes (us/event)", value: perEvent(fromBytes),
                  anchor: "view alone \(perEvent(scanOnly)); decode + ingest [Event] \(perEvent(decodeAndIngest)); ingest [Event] alone \(perEvent(ingestOnly))\(counts.count == 2 && counts[0] == counts[1] ? "" : " ROWS DIFFER")",
                  ratio: "\(fmt(decodeAndIngest / fromBytes))x vs decode+ingest")
    }
}
