import Glibc
import Logging

/// Opens the segments of a data directory, verifies every record and decides where the log
/// ends (`docs/STORAGE.md` § Recovery):
///
/// 1. Segments are walked in seq order; each record's CRC32C is checked and its seq must be
///    the next expected one (compacted segments may skip seqs inside their range).
/// 2. Where the chain of valid records stops, the next segment continuing the chain means a
///    normal segment roll. Otherwise this is the end of the log, and the bytes after it (rest
///    of the segment, later segment files) are scanned (`TailEvidence`): a valid record from
///    a later write group means a durable record went bad, which is corruption; anything
///    else is the torn, never-acknowledged last write group, which is zeroed and removed.
/// 3. Corruption refuses to open, naming file and offset, unless `repair` is set; then the
///    good prefix is kept and the rest is moved to `<segment>.corrupt` files.
struct LogRecovery {
    struct Outcome {
        var segments: [Segment]
        /// Offset in the last segment where the next record goes.
        var tailOffset: Int
        var nextSeq: UInt64
        var report: RecoveryReport
    }

    let directory: Directory
    let configuration: LogConfiguration
    let logger: Logger

    func run() throws(StorageError) -> Outcome {
        var report = RecoveryReport()
        let rolledForward = try CompactionCommit(directory: directory).rollForward()
        if !rolledForward.isEmpty {
            logger.notice("storage: finished a committed compaction", metadata: ["segments": "\(rolledForward)"])
        }
        let names = try directory.entries()
            .compactMap { name in SegmentHeader.baseSeq(fromFileName: name).map { (name, $0) } }
            .sorted { $0.1 < $1.1 }
            .map(\.0)
        if names.isEmpty {
            let first = try Segment.create(in: directory, baseSeq: 0, bytes: configuration.segmentBytes,
                                           indexIntervalBytes: configuration.indexIntervalBytes)
            report.segmentCount = 1
            return Outcome(segments: [first], tailOffset: Segment.dataStart, nextSeq: 0, report: report)
        }

        var opened: [(name: String, segment: Segment?, raw: MappedRegion?)] = []
        for name in names {
            let result = try Segment.open(in: directory, name: name, writable: true,
                                          indexIntervalBytes: configuration.indexIntervalBytes)
            opened.append((name, result.segment, result.rawRegion))
        }

        var kept: [Segment] = []
        var expected = opened.first?.segment?.baseSeq ?? SegmentHeader.baseSeq(fromFileName: names[0]) ?? 0
        report.firstSeq = expected
        var index = 0
        while index < opened.count {
            guard let segment = opened[index].segment else {
                // A bad header where the chain expected a segment: the end of the log.
                let outcome = try endOfLog(opened: opened, at: index, offset: 0, reason: "invalid segment header",
                                           expected: expected, kept: kept, report: &report)
                return outcome
            }
            if segment.baseSeq != expected {
                return try endOfLog(opened: opened, at: index, offset: 0,
                                    reason: "segment starts at seq \(segment.baseSeq), expected \(expected)",
                                    expected: expected, kept: kept, report: &report)
            }
            let (end, stop) = scanChain(segment, expected: &expected, report: &report)
            if segment.header.isCompacted {
                // Compacted segments are written whole and synced before their rename: any
                // damage is corruption, never a torn tail.
                kept.append(segment)
                if let stop, stop != .zeroFill {
                    try refuseOrRepair(opened: opened, at: index, offset: end, inKept: true, reason: "\(stop)",
                                       expected: expected, report: &report)
                    // The seqs up to the segment's end are in the .corrupt file now.
                    return try finish(kept: kept, tailOffset: nil, nextSeq: segment.header.seqEnd, report: &report)
                }
                expected = max(expected, segment.header.seqEnd)
                index += 1
                continue
            }
            kept.append(segment)
            if index + 1 < opened.count, let next = opened[index + 1].segment, next.baseSeq == expected {
                index += 1 // a normal segment roll
                continue
            }
            return try endOfLog(opened: opened, at: index, offset: end, reason: stop.map { "\($0)" } ?? "end of segment",
                                expected: expected, kept: kept, report: &report, inKept: true)
        }
        // Only reachable when the last segment is compacted: start a fresh tail after it.
        return try finish(kept: kept, tailOffset: nil, nextSeq: expected, report: &report)
    }

    /// Walks valid records from the segment's start, indexing them and advancing `expected`.
    /// Returns where the chain stopped and why (nil reason: the segment is full to its end).
    private func scanChain(_ segment: Segment, expected: inout UInt64, report: inout RecoveryReport) -> (Int, RecordHeader.Invalid?) {
        var offset = Segment.dataStart
        var nextIndexOffset = offset
        let compacted = segment.header.isCompacted
        while true {
            switch segment.record(at: offset) {
            case .success(let header):
                let inOrder = compacted
                    ? header.seq >= expected && header.seq < segment.header.seqEnd
                    : header.seq == expected
                guard inOrder else { return (offset, .malformedHeader) }
                if offset >= nextIndexOffset {
                    segment.indexRecord(seq: header.seq, offset: offset)
                    nextIndexOffset = offset + configuration.indexIntervalBytes
                }
                expected = header.seq + 1
                report.recordsVerified += 1
                offset += header.storedBytes
            case .failure(.noRoomForHeader):
                return (offset, nil)
            case .failure(let invalid):
                return (offset, invalid)
            }
        }
    }

    /// The chain ended at `offset` of `opened[index]` (which is in `kept` when `inKept`):
    /// decide torn tail or corruption from what lies after.
    private func endOfLog(opened: [(name: String, segment: Segment?, raw: MappedRegion?)], at index: Int, offset: Int,
                          reason: String, expected: UInt64, kept: [Segment], report: inout RecoveryReport,
                          inKept: Bool = false) throws(StorageError) -> Outcome {
        var evidence: (name: String, offset: Int, seq: UInt64)?
        var dirtyEnd = offset
        for later in index..<opened.count {
            guard let region = opened[later].raw else { continue }
            let start = later == index ? max(offset, Segment.dataStart) : Segment.dataStart
            let found = TailEvidence.scan(region.bytes, from: start, missingSeq: expected)
            if later == index { dirtyEnd = found.dirtyEnd }
            if evidence == nil, let record = found.laterGroupRecord {
                evidence = (opened[later].name, record.offset, record.seq)
            }
        }
        if let evidence {
            let file = directory.file(opened[index].name)
            let detail = "\(file) offset \(offset): \(reason) (seq \(expected) missing), but a later write group follows "
                + "(seq \(evidence.seq) in \(evidence.name) at offset \(evidence.offset))"
            guard configuration.repair else {
                throw StorageError(.corrupted, detail + "; refusing to start (reopen with repair to keep the records before it)")
            }
            logger.error("storage: corruption repaired", metadata: ["detail": "\(detail)"])
            try refuseOrRepair(opened: opened, at: index, offset: offset, inKept: inKept, reason: reason,
                               expected: expected, report: &report)
        } else {
            // Torn tail: the last write group never became durable, so none of it was acknowledged.
            if inKept, let segment = opened[index].segment, dirtyEnd > offset {
                zero(segment.region, from: offset, to: dirtyEnd)
                try segment.syncData()
                report.tornBytesTruncated = dirtyEnd - offset
            }
            let firstRemoved = inKept ? index + 1 : index
            for later in firstRemoved..<opened.count {
                try directory.remove(opened[later].name)
                report.tornSegmentsRemoved.append(opened[later].name)
            }
            if report.tornBytesTruncated > 0 || !report.tornSegmentsRemoved.isEmpty {
                logger.notice("storage: torn tail truncated", metadata: [
                    "file": "\(directory.file(opened[index].name))", "offset": "\(offset)",
                    "bytes": "\(report.tornBytesTruncated)", "removed": "\(report.tornSegmentsRemoved)",
                ])
            }
        }
        return try finish(kept: kept, tailOffset: inKept ? offset : nil, nextSeq: expected, report: &report)
    }

    /// `repair`: moves the bad region and everything after it aside, into `.corrupt` files.
    /// A kept segment keeps its records before `offset` (the rest is copied out, then zeroed);
    /// a segment not kept and every later segment are renamed whole. Without `repair`,
    /// throws the corruption error naming file and offset.
    private func refuseOrRepair(opened: [(name: String, segment: Segment?, raw: MappedRegion?)], at index: Int, offset: Int,
                                inKept: Bool, reason: String, expected: UInt64,
                                report: inout RecoveryReport) throws(StorageError) {
        let name = opened[index].name
        guard configuration.repair else {
            throw StorageError(.corrupted, "\(directory.file(name)) offset \(offset): \(reason) (seq \(expected) missing); "
                + "refusing to start (reopen with repair to keep the records before it)")
        }
        if inKept, let region = opened[index].raw, region.count > offset {
            let aside = FileName.corrupt(name)
            let file = try FileDescriptor.open(directory.file(aside), flags: O_WRONLY | O_CREAT | O_TRUNC)
            try file.write(UnsafeRawBufferPointer(rebasing: region.bytes[offset...]), at: 0)
            try file.syncData()
            report.corruptFiles.append(aside)
            zero(region, from: offset, to: region.count)
            try opened[index].segment?.syncData()
        }
        for later in (inKept ? index + 1 : index)..<opened.count {
            let aside = FileName.corrupt(opened[later].name)
            try directory.rename(opened[later].name, to: aside)
            report.corruptFiles.append(aside)
        }
        try directory.sync()
    }

    private func zero(_ region: MappedRegion, from start: Int, to end: Int) {
        guard end > start else { return }
        (region.base + start).initializeMemory(as: UInt8.self, repeating: 0, count: end - start)
    }

    /// Builds the outcome; `tailOffset` nil means the last kept segment cannot take appends
    /// (compacted, or none kept), so a fresh segment starting at `nextSeq` is created.
    private func finish(kept: [Segment], tailOffset: Int?, nextSeq: UInt64, report: inout RecoveryReport) throws(StorageError) -> Outcome {
        var segments = kept
        var offset = tailOffset ?? Segment.dataStart
        if tailOffset == nil || segments.last?.header.isCompacted == true || segments.isEmpty {
            let fresh = try Segment.create(in: directory, baseSeq: nextSeq, bytes: configuration.segmentBytes,
                                           indexIntervalBytes: configuration.indexIntervalBytes)
            segments.append(fresh)
            offset = Segment.dataStart
        }
        // Only the tail is ever written again: the others give up their descriptors.
        segments = segments.enumerated().map { $0.offset == segments.count - 1 ? $0.element : $0.element.sealed() }
        report.segmentCount = segments.count
        report.nextSeq = nextSeq
        report.firstSeq = segments.first?.baseSeq ?? nextSeq
        return Outcome(segments: segments, tailOffset: offset, nextSeq: nextSeq, report: report)
    }
}

/// Names of files the log writes beside its segments.
enum FileName {
    static let lock = "LOCK"
    static func corrupt(_ segmentName: String) -> String { segmentName + ".corrupt" }
    static func compactionTemporary(_ segmentName: String) -> String { segmentName + ".compact.tmp" }
}
