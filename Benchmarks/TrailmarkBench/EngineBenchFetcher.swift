import Synchronization
import TrailmarkEngine
import TrailmarkWire

/// The engine benchmark's `RecordFetcher`, shaped like the server's log fetcher
/// (`LogRecordFetcher`): a fetch decodes the whole record of the seq and keeps the last 64
/// decoded records (least recently used dropped). Records are not kept encoded (10M
/// events would take gigabytes), so a miss builds the record, encodes and decodes it: an
/// upper bound on reading it from the mapped log, where only the decode is paid.
final class EngineBenchFetcher: Sendable {
    let data: EngineBenchData
    let project: String
    private let cache = Mutex<(records: [Int: StoredEventBatch], lastUse: [Int: UInt64], clock: UInt64, misses: Int)>(([:], [:], 0, 0))

    init(data: EngineBenchData, project: String) {
        self.data = data
        self.project = project
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
            guard let events = data.record(r, project: project).events,
                let decoded = try? StoredEventBatch(decoding: events.encoded(), limits: .logRecords)
            else { return nil }
            batch = decoded
            cache.withLock { c in
                if c.records.count >= 64, let oldest = c.lastUse.min(by: { $0.value < $1.value })?.key {
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
