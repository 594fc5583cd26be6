extension WireLimits {
    /// Limits for decoding the server's own log records (`StoredEventBatch`, …) on replay.
    ///
    /// A record holds whatever the ingest side accepted under its configured limits, which
    /// may be above the defaults (`--batch-events-max`); replay must never reject it. Counts
    /// are bounded by the seq layout instead (`StoredEventBatch.eventSeq`: fewer than 2^20
    /// events per record) and the size by the 4-byte length of a record. String and
    /// property limits stay as they are: ingest enforced them.
    public static let logRecords: WireLimits = {
        var limits = WireLimits()
        limits.messageBytesMax = Int(UInt32.max)
        limits.batchEventsMax = (1 << 20) - 1
        limits.batchIdentifiesMax = (1 << 20) - 1
        // A stored block's dictionary holds the client's entries plus the server's
        // (generated ids, attribution strings), so it may exceed what ingest accepted:
        // only the record's size bounds it (each entry takes at least one byte).
        limits.dictionaryEntriesMax = Int(UInt32.max)
        return limits
    }()
}
