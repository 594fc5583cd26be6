import Glibc

/// What `SegmentLog.enforceRetention` removed.
public struct RetentionReport: Hashable, Sendable {
    /// Segment files deleted, oldest first.
    public var removedSegments: [String] = []
    /// Their total size in bytes.
    public var removedBytes = 0
    /// The first seq still in the log afterwards.
    public var firstSeq: UInt64 = 0
}

/// What `SegmentLog.compact(dropping:)` or `rewrite(records:_:)` rewrote.
public struct CompactionReport: Hashable, Sendable {
    /// Segments rewritten (each replaced atomically by rename).
    public var rewrittenSegments: [String] = []
    /// Records dropped because the predicate matched them.
    public var recordsDropped = 0
    /// Records stored anew with a replaced payload (same seq and kind).
    public var recordsReplaced = 0
    /// Bytes of segment files freed.
    public var bytesReclaimed = 0
}

extension SegmentLog {
    /// Deletes whole sealed segments from the front of the log: those sealed longer ago than
    /// `retention.ageMax`, then the oldest while all segments exceed `retention.totalBytesMax`.
    /// Never the tail segment, never a segment holding records not yet committed.
    ///
    /// Blocking file I/O (unlink, directory fsync): call it from a maintenance task.
    /// `nowMillis` is injectable for tests (milliseconds since 1970).
    public func enforceRetention(nowMillis: Int64? = nil) throws(StorageError) -> RetentionReport {
        guard !isClosed else { throw StorageError(.closed, "the log is closed") }
        let now = nowMillis ?? SystemCall.nowMillis()
        let retention = configuration.retention
        let committed = writer.watermark.load()
        return try maintenance.withLock { _ throws(StorageError) in
            let removed: [Segment] = try writer.segments.withList { list throws(StorageError) in
                var total = list.reduce(0) { $0 + $1.byteCount }
                var count = 0
                while count + 1 < list.count, list[count + 1].baseSeq <= committed {
                    // A segment is sealed when the next one is created: its age counts from then.
                    let sealedMillis = list[count + 1].header.createdMillis
                    let tooOld = retention.ageMax.map { now - sealedMillis > $0.milliseconds } ?? false
                    let tooBig = retention.totalBytesMax.map { total > $0 } ?? false
                    guard tooOld || tooBig else { break }
                    total -= list[count].byteCount
                    count += 1
                }
                defer { list.removeFirst(count) }
                return Array(list.prefix(count))
            }
            var report = RetentionReport()
            // Oldest first, so a crash in between leaves a log without gaps.
            for segment in removed {
                try dataDirectory.remove(segment.name)
                report.removedSegments.append(segment.name)
                report.removedBytes += segment.byteCount
            }
            report.firstSeq = firstSeq
            if !removed.isEmpty {
                configuration.logger.info("storage: retention removed segments", metadata: [
                    "segments": "\(report.removedSegments)", "firstSeq": "\(report.firstSeq)",
                ])
            }
            return report
        }
    }

    /// Rewrites every sealed, fully committed segment holding records for which `shouldDrop`
    /// returns true, without those records (`docs/STORAGE.md` § Compaction).
    ///
    /// The tail segment is not compacted: records there are dropped once it has rolled
    /// (`sealTail()`). Seqs of dropped records are never reused. Blocking file I/O: call it
    /// from a maintenance task. `shouldDrop` gets each record's seq, kind and payload (valid
    /// only during the call) and is called once per record.
    public func compact(
        dropping shouldDrop: (_ seq: UInt64, _ kind: RecordKind, _ payload: RawSpan) throws -> Bool
    ) throws -> CompactionReport {
        try rewrite(segmentsWhere: { _ in true }, selecting: { _ in true }) { seq, kind, payload in
            try shouldDrop(seq, kind, payload) ? .drop : .keep
        }
    }

    /// Rewrites the records whose seqs are in `seqs`: `transform` says, for each of them
    /// still in the log, whether to keep, drop or replace it. Only segments holding one of
    /// `seqs` are read and rewritten, and all of them are replaced in **one atomic step**
    /// (`CompactionCommit`): after a crash either every rewrite is in place or none is.
    ///
    /// Every seq must be in a sealed, fully committed segment (`sealTail()` first if the
    /// newest ones may still be in the tail); otherwise the call throws `invalidArgument`
    /// and changes nothing. Readers already inside an old segment keep reading its
    /// (unlinked) mapping. Blocking file I/O: call it from a maintenance task.
    public func rewrite(
        records seqs: Set<UInt64>,
        _ transform: (_ seq: UInt64, _ kind: RecordKind, _ payload: RawSpan) throws -> RecordRewrite
    ) throws -> CompactionReport {
        guard let newest = seqs.max() else { return CompactionReport() }
        let sealedEnd = writer.segments.snapshot.last?.baseSeq ?? 0
        guard newest < min(sealedEnd, writer.watermark.load()) else {
            throw StorageError(.invalidArgument, "seq \(newest) is not in a sealed, committed segment (tail starts at \(sealedEnd))")
        }
        let sorted = seqs.sorted()
        return try rewrite(
            segmentsWhere: { range in
                // Any of the sorted seqs inside the segment's range?
                var lo = 0, hi = sorted.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if sorted[mid] < range.lowerBound { lo = mid + 1 } else { hi = mid }
                }
                return lo < sorted.count && sorted[lo] < range.upperBound
            },
            selecting: { seqs.contains($0) },
            transform
        )
    }

    private func rewrite(
        segmentsWhere visits: (Range<UInt64>) -> Bool,
        selecting selects: (UInt64) -> Bool,
        _ transform: (UInt64, RecordKind, RawSpan) throws -> RecordRewrite
    ) throws -> CompactionReport {
        guard !isClosed else { throw StorageError(.closed, "the log is closed") }
        return try maintenance.withLock { _ in
            var report = CompactionReport()
            let committed = writer.watermark.load()
            let list = writer.segments.snapshot
            var prepared: [SegmentCompactor.Prepared] = []
            for i in 0..<(list.count - 1) where list[i + 1].baseSeq <= committed && visits(list[i].baseSeq..<list[i + 1].baseSeq) {
                let compactor = SegmentCompactor(segment: list[i], seqEnd: list[i + 1].baseSeq,
                                                 directory: dataDirectory, configuration: configuration)
                do {
                    if let result = try compactor.prepare(selecting: selects, transform) { prepared.append(result) }
                } catch {
                    CompactionCommit(directory: dataDirectory).discard(prepared)
                    throw error
                }
            }
            try CompactionCommit(directory: dataDirectory).commit(prepared, willRename: configuration.compactionWillRenameForTesting)
            try writer.segments.withList { segments throws(StorageError) in
                for rewrite in prepared {
                    guard let index = segments.firstIndex(where: { $0 === rewrite.original }) else { continue }
                    segments[index] = rewrite.replacement
                }
            }
            for rewrite in prepared {
                report.rewrittenSegments.append(rewrite.original.name)
                report.recordsDropped += rewrite.dropped
                report.recordsReplaced += rewrite.replaced
                report.bytesReclaimed += rewrite.original.byteCount - rewrite.replacement.byteCount
            }
            if !prepared.isEmpty {
                configuration.logger.info("storage: compacted segments", metadata: [
                    "segments": "\(report.rewrittenSegments)", "dropped": "\(report.recordsDropped)",
                    "replaced": "\(report.recordsReplaced)",
                ])
            }
            return report
        }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
