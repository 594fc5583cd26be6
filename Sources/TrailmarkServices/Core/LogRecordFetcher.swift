import Synchronization
import TrailmarkEngine
import TrailmarkStorage
import TrailmarkWire

/// The engine's `RecordFetcher` over the segment log: reads an event back by its `seq`
/// (`recordSeq << StoredEventBatch.indexBits | index`), so the engine keeps no url, path,
/// referrer, properties, event id or received time in memory (`docs/ENGINE.md`).
///
/// One fetch reads record `seq >> indexBits` (`SegmentLog.read(from:maxRecords: 1)`),
/// decodes it and returns the event at the index; the `$identify` event of an identify
/// record is `Identify.impliedEvent(seq:)`. An erased slot (`ErasedSlots`), a record that
/// is gone (retention, compaction), one of another project or one that does not decode
/// gives nil.
///
/// The last `capacity` decoded records are kept, together at most `byteBudget` bytes of
/// record payload (least recently used dropped; the newest is always kept), because the
/// rows of a query page or of a property column pass come from few records: a sequential
/// pass decodes each record once.
///
/// Invalidation: `invalidate()` empties the cache and bumps a generation; a decode that
/// started under an older generation is returned to its caller but not cached. Forget
/// compaction calls it after every rewrite, so a record decoded before the rewrite is
/// never served afterwards (the engine never asks for erased rows anyway: a forget deletes
/// them first).
final class LogRecordFetcher: Sendable {
    /// A decoded record as the cache holds it.
    private enum Decoded: Sendable {
        case events(StoredEventBatch)
        case identifies(StoredIdentifyBatch)
        /// A record of another kind (a forget, a checkpoint), or one that is gone: no events.
        case none
    }

    private struct Cache: Sendable {
        var entries: [UInt64: (record: Decoded, lastUse: UInt64, bytes: Int)] = [:]
        /// Payload bytes of the cached records.
        var bytes = 0
        var clock: UInt64 = 0
        var generation: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    /// A cache lookup: the record, or a miss with the generation the decode starts under.
    private enum Lookup {
        case hit(Decoded)
        case miss(generation: UInt64)
    }

    let log: SegmentLog
    /// Decoded records kept (at least 1).
    let capacity: Int
    /// Payload bytes of cached records, at most (a record alone may exceed it).
    let byteBudget: Int
    private let cache = Mutex(Cache())

    init(log: SegmentLog, capacity: Int = 16, byteBudget: Int = 4 << 20) {
        self.log = log
        self.capacity = max(1, capacity)
        self.byteBudget = byteBudget
    }

    /// The stored event with this `seq` in `project`, or nil (see the type's comment).
    func fetch(project: String, seq: UInt64) -> Event? {
        let recordSeq = seq >> StoredEventBatch.indexBits
        let index = Int(seq & ((1 << StoredEventBatch.indexBits) - 1))
        switch record(recordSeq) {
        case .events(let batch):
            guard batch.project == project, index < batch.events.count, !ErasedSlots.isErased(batch.events[index]) else { return nil }
            var event = batch.events[index]
            event.seq = seq
            return event
        case .identifies(let batch):
            guard batch.project == project, index < batch.identifies.count, !ErasedSlots.isErased(batch.identifies[index]) else { return nil }
            return batch.identifies[index].impliedEvent(seq: seq)
        case .none:
            return nil
        }
    }

    /// Forgets every cached record (call after the log's records were rewritten).
    func invalidate() {
        cache.withLock { c in
            c.entries.removeAll(keepingCapacity: true)
            c.bytes = 0
            c.generation &+= 1
        }
    }

    /// (hits, misses) of the record cache since start, for tests and diagnostics.
    var cacheCounts: (hits: Int, misses: Int) { cache.withLock { ($0.hits, $0.misses) } }

    /// Record `recordSeq` decoded, from the cache or the log (`.none` when it is not in
    /// the log or does not decode).
    private func record(_ recordSeq: UInt64) -> Decoded {
        let lookup: Lookup = cache.withLock { c in
            c.clock &+= 1
            if let hit = c.entries[recordSeq] {
                c.entries[recordSeq]!.lastUse = c.clock  // present: looked up on the line above
                c.hits += 1
                return .hit(hit.record)
            }
            c.misses += 1
            return .miss(generation: c.generation)
        }
        let generation: UInt64
        switch lookup {
        case .hit(let cached): return cached
        case .miss(let g): generation = g
        }
        let (decoded, bytes) = read(recordSeq)
        cache.withLock { c in
            guard c.generation == generation, c.entries[recordSeq] == nil else { return }
            while !c.entries.isEmpty && (c.entries.count >= capacity || c.bytes + bytes > byteBudget),
                let oldest = c.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
            {
                c.bytes -= c.entries.removeValue(forKey: oldest)?.bytes ?? 0
            }
            c.clock &+= 1
            c.entries[recordSeq] = (decoded, c.clock, bytes)
            c.bytes += bytes
        }
        return decoded
    }

    /// Reads and decodes record `recordSeq` from the log (no cache), with its payload
    /// size; `.none` when it is gone or does not decode (the CRC is checked as it is read).
    private func read(_ recordSeq: UInt64) -> (Decoded, Int) {
        var decoded = Decoded.none
        var bytes = 0
        do {
            try log.read(from: recordSeq, maxRecords: 1) { seq, kind, payload in
                // `read` continues at the next record when this one is gone: only an exact match counts.
                guard seq == recordSeq else { return }
                bytes = payload.byteCount
                decoded = try payload.withUnsafeBytes { raw -> Decoded in
                    switch kind {
                    case .eventBatch: return .events(try StoredEventBatch(decoding: raw, limits: .logRecords))
                    case .identifyBatch: return .identifies(try StoredIdentifyBatch(decoding: raw, limits: .logRecords))
                    default: return .none
                    }
                }
            }
        } catch {
            return (.none, 0)
        }
        return (decoded, bytes)
    }
}
