import Glibc

/// Rewrites one sealed segment: records a transform drops are left out, records it
/// replaces get their new payload under the same seq and kind, the rest are copied
/// verbatim (`docs/STORAGE.md` § Compaction).
///
/// `prepare` writes the result to `<name>.compact.tmp` after a header flagged `compacted`,
/// `fdatasync`s it, maps it read-only and verifies every record (seqs increasing inside
/// `[baseSeq, seqEnd)`, CRCs good, count as written). It does not rename: the caller
/// commits one or several prepared rewrites together (`CompactionCommit`), so a crash
/// before the commit point keeps every original and recovery deletes the temporaries.
struct SegmentCompactor {
    let segment: Segment
    /// One past the last seq the segment covers (the next segment's base seq).
    let seqEnd: UInt64
    let directory: Directory
    let configuration: LogConfiguration

    /// A verified replacement, durable under its temporary name.
    struct Prepared {
        let original: Segment
        let temporary: String
        let replacement: Segment
        let dropped: Int
        let replaced: Int
    }

    private enum Piece {
        /// Bytes of the original segment, copied as they are.
        case copy(offset: Int, bytes: Int)
        /// A record built anew: header, payload and padding.
        case fresh([UInt8])

        var byteCount: Int {
            switch self {
            case .copy(_, let bytes): bytes
            case .fresh(let record): record.count
            }
        }
    }

    /// Returns the prepared replacement, or nil when the transform changed nothing.
    /// `transform` is asked only about records for which `selects(seq)` is true.
    func prepare(
        selecting selects: (UInt64) -> Bool,
        _ transform: (UInt64, RecordKind, RawSpan) throws -> RecordRewrite
    ) throws -> Prepared? {
        var pieces: [Piece] = []
        var kept = 0, dropped = 0, replaced = 0
        var offset = Segment.dataStart
        scan: while true {
            switch segment.record(at: offset) {
            case .success(let header):
                let action: RecordRewrite
                if selects(header.seq) {
                    action = try transform(header.seq, header.kind, RawSpan(_unsafeBytes: segment.payload(at: offset, header: header)))
                } else {
                    action = .keep
                }
                switch action {
                case .keep:
                    if case .copy(let start, let bytes)? = pieces.last, start + bytes == offset {
                        pieces[pieces.count - 1] = .copy(offset: start, bytes: bytes + header.storedBytes)
                    } else {
                        pieces.append(.copy(offset: offset, bytes: header.storedBytes))
                    }
                    kept += 1
                case .drop:
                    dropped += 1
                case .replace(let payload):
                    pieces.append(.fresh(Self.record(seq: header.seq, kind: header.kind, payload: payload)))
                    replaced += 1
                    kept += 1
                }
                offset += header.storedBytes
            case .failure(.zeroFill), .failure(.noRoomForHeader):
                break scan
            case .failure(let invalid):
                throw StorageError(.corrupted, "\(segment.path) offset \(offset): \(invalid) during compaction")
            }
        }
        guard dropped + replaced > 0 else { return nil }

        let temporary = FileName.compactionTemporary(segment.name)
        let fileBytes = SegmentHeader.byteCount + pieces.reduce(0) { $0 + $1.byteCount }
        let header = SegmentHeader(flags: SegmentHeader.compactedFlag, baseSeq: segment.baseSeq, seqEnd: seqEnd,
                                   fileBytes: UInt64(fileBytes), createdMillis: segment.header.createdMillis)
        let file = try FileDescriptor.open(directory.file(temporary), flags: O_RDWR | O_CREAT | O_TRUNC)
        try file.write(header.encoded(), at: 0)
        var position = SegmentHeader.byteCount
        for piece in pieces {
            switch piece {
            case .copy(let start, let bytes):
                try file.write(UnsafeRawBufferPointer(rebasing: segment.region.bytes[start..<(start + bytes)]), at: position)
            case .fresh(let record):
                try file.write(record, at: position)
            }
            position += piece.byteCount
        }
        try file.syncData()

        // Read back and verify before anyone renames it into place.
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
        return Prepared(original: segment, temporary: temporary, replacement: replacement.sealed(), dropped: dropped, replaced: replaced)
    }

    /// One whole record: header (its own write group: `groupOffset` 0), payload, zero padding.
    private static func record(seq: UInt64, kind: RecordKind, payload: [UInt8]) -> [UInt8] {
        let header = RecordHeader(payloadBytes: UInt32(payload.count), seq: seq, kind: kind, groupOffset: 0)
        var bytes = [UInt8](repeating: 0, count: header.storedBytes)
        bytes.withUnsafeMutableBytes { destination in
            let base = destination.baseAddress! // storedBytes >= the header's 24 bytes
            payload.withUnsafeBytes { source in
                if let from = source.baseAddress {
                    (base + RecordHeader.byteCount).copyMemory(from: from, byteCount: source.count)
                }
                header.write(to: base, payload: UnsafeRawBufferPointer(start: base + RecordHeader.byteCount, count: source.count))
            }
        }
        return bytes
    }
}
