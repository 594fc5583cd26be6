import Glibc

/// Rewrites one sealed segment without the records a predicate drops
/// (`docs/STORAGE.md` § Compaction).
///
/// Steps, each leaving a recoverable directory if the process dies there: write the kept
/// records verbatim (headers, CRCs and padding unchanged) after a header flagged
/// `compacted` into `<name>.compact.tmp`; `fdatasync`; map it read-only and verify every
/// record (seqs increasing inside `[baseSeq, seqEnd)`, CRCs good, count as written);
/// `rename` over `<name>` and fsync the directory. Recovery deletes stray `.compact.tmp`
/// files, so a crash before the rename keeps the original.
struct SegmentCompactor {
    let segment: Segment
    /// One past the last seq the segment covers (the next segment's base seq).
    let seqEnd: UInt64
    let directory: Directory
    let configuration: LogConfiguration

    /// Returns the replacement segment and how many records it dropped, or nil when the
    /// predicate dropped nothing (the segment is left alone).
    func run(dropping shouldDrop: (UInt64, RecordKind, RawSpan) throws -> Bool) throws -> (segment: Segment, dropped: Int)? {
        var runs: [(offset: Int, bytes: Int)] = []
        var kept = 0
        var dropped = 0
        var offset = Segment.dataStart
        scan: while true {
            switch segment.record(at: offset) {
            case .success(let header):
                let payload = RawSpan(_unsafeBytes: segment.payload(at: offset, header: header))
                if try shouldDrop(header.seq, header.kind, payload) {
                    dropped += 1
                } else if let last = runs.last, last.offset + last.bytes == offset {
                    runs[runs.count - 1].bytes += header.storedBytes
                    kept += 1
                } else {
                    runs.append((offset, header.storedBytes))
                    kept += 1
                }
                offset += header.storedBytes
            case .failure(.zeroFill), .failure(.noRoomForHeader):
                break scan
            case .failure(let invalid):
                throw StorageError(.corrupted, "\(segment.path) offset \(offset): \(invalid) during compaction")
            }
        }
        guard dropped > 0 else { return nil }

        let temporary = FileName.compactionTemporary(segment.name)
        let keptBytes = runs.reduce(0) { $0 + $1.bytes }
        let fileBytes = SegmentHeader.byteCount + keptBytes
        let header = SegmentHeader(flags: SegmentHeader.compactedFlag, baseSeq: segment.baseSeq, seqEnd: seqEnd,
                                   fileBytes: UInt64(fileBytes), createdMillis: segment.header.createdMillis)
        let file = try FileDescriptor.open(directory.file(temporary), flags: O_RDWR | O_CREAT | O_TRUNC)
        try file.write(header.encoded(), at: 0)
        var position = SegmentHeader.byteCount
        for run in runs {
            try file.write(UnsafeRawBufferPointer(rebasing: segment.region.bytes[run.offset..<(run.offset + run.bytes)]), at: position)
            position += run.bytes
        }
        try file.syncData()

        // Read back and verify before the rename makes it the segment.
        let region = try MappedRegion(file: file, count: fileBytes, writable: false)
        let replacement = Segment.adopt(name: segment.name, header: header, file: file, region: region,
                                        indexIntervalBytes: configuration.indexIntervalBytes)
        var verified = 0
        var previous: UInt64?
        offset = Segment.dataStart
        while case .success(let record) = replacement.record(at: offset) {
            guard record.seq >= header.baseSeq, record.seq < seqEnd, previous.map({ record.seq > $0 }) ?? true else {
                throw StorageError(.corrupted, "\(directory.file(temporary)) offset \(offset): seq \(record.seq) out of order after compaction")
            }
            replacement.indexRecord(seq: record.seq, offset: offset)
            previous = record.seq
            verified += 1
            offset += record.storedBytes
        }
        guard verified == kept, offset == fileBytes else {
            throw StorageError(.io, "\(directory.file(temporary)): read back \(verified) of \(kept) records, ending at \(offset) of \(fileBytes) bytes")
        }
        try directory.rename(temporary, to: segment.name)
        configuration.logger.info("storage: compacted segment", metadata: [
            "segment": "\(segment.name)", "dropped": "\(dropped)", "kept": "\(kept)",
        ])
        return (replacement.sealed(), dropped)
    }
}
