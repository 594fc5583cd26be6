import Synchronization
import TrailmarkEngine
import TrailmarkWire

/// The engine benchmark's `RecordFetcher`, shaped like the server's log fetcher
/// (`LogRecordFetcher`): the event records are held encoded, as the log holds them
/// (built before the engine's memory is measured), and a fetch decodes the whole record
/// of the seq, keeping the last 16 decoded records (least recently used dropped).
final class EngineBenchFetcher: Sendable {
    let data: EngineBenchData
    let project: String
    /// Encoded event records by record index (empty for identify records).
    let encoded: [[UInt8]]
    private let cache = Mutex<(records: [Int: StoredEventBatch], lastUse: [Int: UInt64], clock: UInt64, misses: Int)>(([:], [:], 0, 0))

    init(data: EngineBenchData, project: String) {
        self.data = data
        self.project = project
        encoded = (0..<data.recordStart.count).map { r in data.record(r, project: project).events?.encoded() ?? [] }
    }

    /// Encoded bytes held, for the log.
    var encodedBytes: Int { encoded.reduce(0) { $0 + $1.count } }

    /// Decodes every event record once (the floor of a first column build); returns the events seen.
    func decodeAll() -> Int {
        encoded.reduce(0) { n, bytes in n + ((try? StoredEventBatch(decoding: bytes, limits: .logRecords))?.events.count ?? 0) }
    }

    /// Records decoded so far.
    var misses: Int { cache.withLock { $0.misses } }

    func fetch(seq: UInt64) -> Event? {
        let r = Int(seq >> StoredEventBatch.indexBits) - 1, i = Int(seq & ((1 << StoredEventBatch.indexBits) - 1))
        guard r >= 0 && r < data.recordStart.count && i < data.recordCount[r] else { return nil }
        if data.isIdentify(record: r) { return data.fetch(seq: seq) }  // one identify: nothing to decode in bulk
        let cached: StoredEventBatch? = cache.withLock { c in
            c.clock &+= 1
            guard let batch = c.records[r] else { return nil }
            c.lastUse[r] = c.clock
            return batch
        }
        let batch: StoredEventBatch
        if let cached {
            batch = cached
        } else {
            guard let decoded = try? StoredEventBatch(decoding: encoded[r], limits: .logRecords) else { return nil }
            batch = decoded
            cache.withLock { c in
                if c.records.count >= 16, let oldest = c.lastUse.min(by: { $0.value < $1.value })?.key {
                    c.records[oldest] = nil
                    c.lastUse[oldest] = nil
                }
                c.clock &+= 1
                c.records[r] = batch
                c.lastUse[r] = c.clock
                c.misses += 1
            }
        }
        guard i < batch.events.count else { return nil }
        var e = batch.events[i]
        e.seq = seq
        return e
    }
}
