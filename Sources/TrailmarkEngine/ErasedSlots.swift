import TrailmarkWire

/// The on-disk form of forgotten events and identifies (`docs/ENGINE.md` § Forget).
///
/// Forget compaction rewrites a log record with each forgotten event or identify replaced
/// by an **erased slot** rather than removed, so every other event of the batch keeps its
/// index and therefore its seq (`StoredEventBatch.eventSeq`): cursors, the fetcher and
/// tie-breaks never move. An erased slot holds nothing of the user:
///
/// - event: empty name and ids, no times, no properties; `event_id` is replaced by the
///   token `~` + 16 hex digits of the id's 64-bit dedup fingerprint (or nil), so a retry of
///   an erased event is still recognised as a duplicate after a restart. Validation
///   rejects empty event names at every entry, so no real event looks like this;
/// - identify: empty anonymous and user ids, no traits.
///
/// Replay skips erased slots (`ProjectStore.ingest`), recording only the fingerprint.
public enum ErasedSlots {
    /// The batch with the events whose seqs are in `seqs` erased, or nil if none is; each
    /// erased slot keeps its id's `fingerprint` (the engine's, so replay matches retries).
    public static func erase(_ batch: StoredEventBatch, recordSeq: UInt64, seqs: Set<UInt64>, fingerprint: EventIDFingerprint) -> StoredEventBatch? {
        var out = batch
        var changed = false
        for i in batch.events.indices where seqs.contains(StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i)) {
            guard !isErased(batch.events[i]) else { continue }
            var kept: String?
            if let id = batch.events[i].eventID, !id.isEmpty { kept = fingerprintToken(fingerprint(id)) }
            out.events[i] = Event(event: "", eventID: kept)
            changed = true
        }
        return changed ? out : nil
    }

    /// The batch with the identifies whose seqs are in `seqs` erased, or nil if none is.
    public static func erase(_ batch: StoredIdentifyBatch, recordSeq: UInt64, seqs: Set<UInt64>) -> StoredIdentifyBatch? {
        var out = batch
        var changed = false
        for i in batch.identifies.indices where seqs.contains(StoredEventBatch.eventSeq(recordSeq: recordSeq, index: i)) {
            guard !isErased(batch.identifies[i]) else { continue }
            out.identifies[i] = Identify(anonymousID: "", userID: "")
            changed = true
        }
        return changed ? out : nil
    }

    /// An erased event slot (validation never lets an empty event name in).
    @inline(__always)
    public static func isErased(_ event: Event) -> Bool { event.event.isEmpty }

    /// An erased identify slot.
    public static func isErased(_ identify: Identify) -> Bool { identify.anonymousID.isEmpty && identify.userID.isEmpty }

    /// The dedup fingerprint an erased slot keeps, 0 when it kept none.
    static func fingerprint(ofErased event: Event) -> UInt64 {
        fingerprint(ofErasedID: event.eventID)
    }

    /// The fingerprint kept by an erased slot whose `event_id` is `id`, 0 when none.
    static func fingerprint(ofErasedID id: String?) -> UInt64 {
        guard let id, id.utf8.count == 17, id.hasPrefix("~"), let v = UInt64(id.dropFirst(), radix: 16) else { return 0 }
        return v
    }

    /// `fingerprint(ofErasedID:)` of the UTF-8 bytes of an `event_id`, read in place (a
    /// `String` is made only for a 17-byte id starting with `~`, i.e. an actual token).
    static func fingerprint(ofErasedUTF8 id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard id.count == 17, id[0] == UInt8(ascii: "~") else { return 0 }
        return fingerprint(ofErasedID: String(decoding: id, as: UTF8.self))
    }

    private static func fingerprintToken(_ fingerprint: UInt64) -> String {
        let hex = String(fingerprint, radix: 16)
        return "~" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// What one forget deleted.
public struct ForgetOutcome: Hashable, Sendable {
    /// Events deleted (their `$identify` events included).
    public var hidden: UInt64
    /// The seqs of the deleted events and identifies, ascending: the slots forget
    /// compaction erases (`ErasedSlots`).
    public var erasedSeqs: [UInt64]

    public init(hidden: UInt64, erasedSeqs: [UInt64]) {
        self.hidden = hidden
        self.erasedSeqs = erasedSeqs
    }
}
