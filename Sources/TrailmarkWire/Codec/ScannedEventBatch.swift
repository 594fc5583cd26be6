/// A client's `EventBatch` read without building an `Event` per event: the ingest fast path.
///
/// Decoding a batch into `[Event]` creates a `String` reference per field and a property
/// map per event, and destroying them again is about as dear; for a batch the server stores
/// as the client sent it (the client's columns are copied into the log record,
/// `StoredEventBatch.encoded(reusing:)`), only a few values per event are needed: the event
/// id (for the duplicate decision and the acknowledgement), the timestamp (skew
/// correction) and the url and referrer (attribution).
///
/// `scan` is **conservative**: it returns a scan only for a batch that decoding and
/// validation (`EventValidator`, SEMANTICS §1) would both accept *unchanged* — well-formed,
/// within every limit, no empty optional string to normalise, no server column, every
/// dictionary entry referenced, no field given twice. For anything else it returns nil and
/// the caller decodes the batch the ordinary way, which produces the exact error or the
/// normalised events. So the fast path never needs error messages of its own, and its
/// answers are those of the ordinary path (`IngestFastPathTests` compares both).
///
/// Invariant: `block.layout` describes `block.storage` (as for any `EventBlock`), and every
/// reference kept here (`eventIDRefs`, `urlRefs`, `referrerRefs`, minus one when non-zero)
/// is below `entryOffsets.count`; entry `k` is the valid UTF-8 bytes
/// `storage[entryOffsets[k] ..< entryOffsets[k] + entryLengths[k]]`.
public struct ScannedEventBatch: Sendable {
    /// The client's clock when it sent the batch (validated: years 1970...9999).
    public let sentAt: Int64?
    public let batchID: UInt64?
    /// The client's block (its bytes and column layout), for the stored record.
    let block: EventBlock
    /// Where each dictionary entry's bytes start in `block.storage`, and how long they are.
    let entryOffsets: [UInt32]
    let entryLengths: [UInt32]
    /// Per event: the dictionary reference plus one, 0 when absent.
    public let eventIDRefs: [UInt32]
    public let urlRefs: [UInt32]
    public let referrerRefs: [UInt32]
    /// Per event: the client's timestamp (validated: years 1970...9999).
    public let timestamps: [Int64?]

    /// Events in the batch (at least one).
    public var count: Int { block.count }

    /// The UTF-8 bytes of dictionary entry `k` (a reference minus one), for the duration of
    /// `body`.
    public func withEntry<R>(_ k: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = Int(entryOffsets[Int(k)])
        let count = Int(entryLengths[Int(k)])
        return try block.storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start ..< start + count]))
        }
    }

    /// Calls `body` with a reader of the batch's dictionary entries by per-event reference:
    /// one access to the storage for a loop over every event.
    public func withEntries<R>(_ body: (Entries) throws -> R) rethrows -> R {
        try block.storage.withUnsafeBufferPointer { try body(Entries(storage: $0, offsets: entryOffsets, lengths: entryLengths)) }
    }

    /// The dictionary entries of a batch. Invariant: `storage` points into the batch's
    /// storage, so an `Entries` is used only inside the `withEntries` call that made it.
    public struct Entries {
        let storage: UnsafeBufferPointer<UInt8>
        let offsets: [UInt32]
        let lengths: [UInt32]

        init(storage: UnsafeBufferPointer<UInt8>, offsets: [UInt32], lengths: [UInt32]) {
            self.storage = storage
            self.offsets = offsets
            self.lengths = lengths
        }

        /// Entries in the dictionary.
        public var count: Int { offsets.count }

        /// The UTF-8 bytes of the entry a per-event reference names (`urlRefs`, …; the
        /// entry's index plus one), nil for 0 (absent).
        public subscript(ref ref: UInt32) -> UnsafeBufferPointer<UInt8>? {
            guard ref != 0 else { return nil }
            let start = Int(offsets[Int(ref - 1)])
            return UnsafeBufferPointer(rebasing: storage[start ..< start + Int(lengths[Int(ref - 1)])])
        }
    }

    /// Dictionary entry `k` as a `String` (valid UTF-8: checked by `scan`).
    public func string(_ k: UInt32) -> String {
        withEntry(k) { String(decoding: $0, as: UTF8.self) }
    }

    /// The batch decoded the ordinary way (the same bytes: it cannot fail, as `scan`
    /// accepted them; nil would mean a bug, which the caller reports as an internal error).
    public func decoded(limits: WireLimits) -> (batch: EventBatch, block: EventBlock?)? {
        try? EventBatch.decodingKeepingBlock(block.storage, limits: limits)
    }

    init(
        sentAt: Int64?, batchID: UInt64?, block: EventBlock, entryOffsets: [UInt32], entryLengths: [UInt32],
        eventIDRefs: [UInt32], urlRefs: [UInt32], referrerRefs: [UInt32], timestamps: [Int64?]
    ) {
        self.sentAt = sentAt
        self.batchID = batchID
        self.block = block
        self.entryOffsets = entryOffsets
        self.entryLengths = entryLengths
        self.eventIDRefs = eventIDRefs
        self.urlRefs = urlRefs
        self.referrerRefs = referrerRefs
        self.timestamps = timestamps
    }

    /// Scans an `EventBatch` message body; nil unless the ordinary path would store it
    /// exactly as sent (see the type's documentation).
    public static func scan(_ bytes: [UInt8], limits: WireLimits = .default) -> ScannedEventBatch? {
        guard bytes.count <= limits.messageBytesMax else { return nil }
        return bytes.withUnsafeBytes { raw -> ScannedEventBatch? in
            do throws(WireError) {
                var scanner = EventBatchScanner(raw, limits: limits)
                return try scanner.scan(storage: bytes)
            } catch {
                return nil
            }
        }
    }
}
