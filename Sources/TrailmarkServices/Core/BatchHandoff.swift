import Synchronization
import TrailmarkWire

/// Event batches the ingest service is appending, handed to the log tailer in decoded form
/// so the tailer does not decode again what ingest just encoded (it was about a quarter
/// of the tailer's time).
///
/// How a record is matched: the tailer only has the record's payload bytes, so entries are
/// keyed by the payload's length and a hash of its first KiB, and a candidate is taken only
/// when its payload is byte-for-byte equal to the record's. The decoded batch is therefore
/// exactly what decoding the record would give (the codec round-trips; `BatchHandoffTests`
/// and the e2e suites check the answers). A miss costs nothing but the decode it replaces.
///
/// Lifetime: ingest offers a batch *before* appending it (so the tailer can never read the
/// record before the entry exists) and withdraws it when the append fails; the tailer
/// takes it when it reaches the record. At most `capacity` entries and `bytesMax` payload
/// bytes are held (an entry lives until the tailer reaches its record, which may lag the
/// acknowledgement); when full, `offer` declines and the tailer decodes as before. The
/// tailer empties the handoff when it stops. Payload arrays are shared with the append,
/// not copied.
final class BatchHandoff: Sendable {
    struct Key: Hashable {
        let length: Int
        let hash: UInt64
    }

    private struct Entry {
        let payload: [UInt8]
        let batch: StoredEventBatch
    }

    private struct Table {
        var byKey: [Key: [Entry]] = [:]
        var bytes = 0
    }

    private let entries = Mutex(Table())
    private let held = Atomic<Int>(0)
    let capacity: Int
    /// Payload bytes held at most (the decoded batches take a few times more).
    let bytesMax: Int

    init(capacity: Int = 256, bytesMax: Int = 64 << 20) {
        self.capacity = capacity
        self.bytesMax = bytesMax
    }

    /// The number of batches held now.
    var count: Int { held.load(ordering: .relaxed) }

    static func key(_ payload: UnsafeRawBufferPointer) -> Key {
        let prefix = UnsafeRawBufferPointer(rebasing: payload.prefix(1024))
        return Key(length: payload.count, hash: WordHash.hash(prefix.assumingMemoryBound(to: UInt8.self), seed: 0x7F4A_7C15))
    }

    /// Offers `batch`, whose encoding is `payload`; returns the key to withdraw it with, or
    /// nil when the handoff is full.
    func offer(_ batch: StoredEventBatch, payload: [UInt8]) -> Key? {
        let key = payload.withUnsafeBytes { Self.key($0) }
        let accepted = entries.withLock { table -> Bool in
            guard held.load(ordering: .relaxed) < capacity, table.bytes + payload.count <= bytesMax else { return false }
            table.byKey[key, default: []].append(Entry(payload: payload, batch: batch))
            table.bytes += payload.count
            held.add(1, ordering: .relaxed)
            return true
        }
        return accepted ? key : nil
    }

    /// Removes an offered batch whose append failed (it will never be read).
    func withdraw(_ key: Key, payload: [UInt8]) {
        entries.withLock { table in
            guard var list = table.byKey.removeValue(forKey: key) else { return }
            if let i = list.firstIndex(where: { $0.payload == payload }) {
                table.bytes -= list.remove(at: i).payload.count
                held.add(-1, ordering: .relaxed)
            }
            if !list.isEmpty { table.byKey[key] = list }
        }
    }

    /// The decoded batch whose encoding is exactly `payload`, removed from the handoff.
    func take(_ payload: UnsafeRawBufferPointer) -> StoredEventBatch? {
        guard held.load(ordering: .relaxed) > 0 else { return nil }
        let key = Self.key(payload)
        return entries.withLock { table -> StoredEventBatch? in
            guard var list = table.byKey.removeValue(forKey: key) else { return nil }
            defer { if !list.isEmpty { table.byKey[key] = list } }
            guard let i = list.firstIndex(where: { entry in
                entry.payload.withUnsafeBytes { ByteEquality.equal($0, payload) }
            }) else { return nil }
            held.add(-1, ordering: .relaxed)
            let entry = list.remove(at: i)
            table.bytes -= entry.payload.count
            return entry.batch
        }
    }

    /// Drops every entry (the tailer has stopped: nothing will take them).
    func removeAll() {
        entries.withLock { table in
            table = Table()
            held.store(0, ordering: .relaxed)
        }
    }

    /// Payload bytes held now.
    var bytes: Int { entries.withLock { $0.bytes } }
}
