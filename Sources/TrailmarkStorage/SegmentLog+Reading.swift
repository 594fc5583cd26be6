extension SegmentLog {
    /// One past the last committed seq: every record below it is durable and readable.
    public var committedEnd: UInt64 { writer.watermark.load() }

    /// How the writer has grouped and synced appends since the log was opened.
    public var writeStatistics: WriteStatistics { writer.counters.snapshot }

    /// The first seq still in the log (retention removes whole segments from the front).
    public var firstSeq: UInt64 { writer.segments.first.baseSeq }

    /// Visits committed records with seq ≥ `seq`, in seq order, zero-copy, and returns the
    /// seq to continue from (one past the last visited, or where the committed log ends).
    ///
    /// `body` receives the record's seq, kind and payload as a `RawSpan` pointing into the
    /// segment mapping: it is valid only during the call (the compiler keeps it from
    /// escaping); copy what must outlive it. Seqs below `firstSeq` are skipped, as are seqs
    /// compaction dropped. The writer goes on appending meanwhile; records committed after
    /// the call started are left for the next call (`waitForCommit(past:)` says when).
    ///
    /// Each record's CRC32C is verified again as it is read; a mismatch throws `corrupted`
    /// naming file and offset. Errors thrown by `body` are rethrown as they are.
    @discardableResult
    public func read(
        from seq: UInt64,
        maxRecords: Int = .max,
        _ body: (_ seq: UInt64, _ kind: RecordKind, _ payload: RawSpan) throws -> Void
    ) throws -> UInt64 {
        let end = writer.watermark.load()
        var next = max(seq, firstSeq)
        guard next < end, maxRecords > 0 else { return next }
        var segment = writer.segments.segment(containing: next)
        var offset = segment.scanStart(for: next)
        var visited = 0
        while next < end && visited < maxRecords {
            switch segment.record(at: offset) {
            case .success(let header):
                if header.seq >= next {
                    let payload = segment.payload(at: offset, header: header)
                    try body(header.seq, header.kind, RawSpan(_unsafeBytes: payload))
                    visited += 1
                    next = header.seq + 1
                }
                offset += header.storedBytes
            case .failure(.zeroFill), .failure(.noRoomForHeader):
                // The end of this segment's records: the rest is in the next segment.
                guard let following = writer.segments.segment(after: segment.baseSeq),
                      segment.header.isCompacted || following.baseSeq == next
                else {
                    throw StorageError(.corrupted, "\(segment.path) offset \(offset): committed seq \(next) is missing")
                }
                next = max(next, following.baseSeq)
                segment = following
                offset = Segment.dataStart
            case .failure(let invalid):
                throw StorageError(.corrupted, "\(segment.path) offset \(offset): \(invalid) while reading seq \(next)")
            }
        }
        return next
    }

    /// Suspends until the committed watermark exceeds `seq` (i.e. record `seq` is readable),
    /// then returns the watermark. Throws `StorageError.closed` when the log closes first and
    /// `CancellationError` when the waiting task is cancelled.
    public func waitForCommit(past seq: UInt64) async throws -> UInt64 {
        try await writer.watermark.wait(past: seq)
    }
}
