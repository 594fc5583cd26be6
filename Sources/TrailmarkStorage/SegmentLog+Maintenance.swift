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

/// What `SegmentLog.compact(dropping:)` rewrote.
public struct CompactionReport: Hashable, Sendable {
    /// Segments rewritten (each replaced atomically by rename).
    public var rewrittenSegments: [String] = []
    /// Records dropped because the predicate matched them.
    public var recordsDropped = 0
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
    /// Each rewrite goes to `<segment>.compact.tmp`, is made durable, read back and verified,
    /// then atomically renamed over the original; readers already inside the old segment
    /// keep reading its (unlinked) mapping. The tail segment is not compacted: records there
    /// are dropped once it has rolled. Seqs of dropped records are never reused.
    ///
    /// Blocking file I/O: call it from a maintenance task. `shouldDrop` gets each record's
    /// seq, kind and payload (valid only during the call) and is called once per record.
    public func compact(
        dropping shouldDrop: (_ seq: UInt64, _ kind: RecordKind, _ payload: RawSpan) throws -> Bool
    ) throws -> CompactionReport {
        guard !isClosed else { throw StorageError(.closed, "the log is closed") }
        return try maintenance.withLock { _ in
            var report = CompactionReport()
            let committed = writer.watermark.load()
            let list = writer.segments.snapshot
            for i in 0..<(list.count - 1) where list[i + 1].baseSeq <= committed {
                let compactor = SegmentCompactor(segment: list[i], seqEnd: list[i + 1].baseSeq,
                                                 directory: dataDirectory, configuration: configuration)
                guard let result = try compactor.run(dropping: shouldDrop) else { continue }
                try writer.segments.withList { segments throws(StorageError) in
                    guard let index = segments.firstIndex(where: { $0 === list[i] }) else { return }
                    segments[index] = result.segment
                }
                report.rewrittenSegments.append(list[i].name)
                report.recordsDropped += result.dropped
                report.bytesReclaimed += list[i].byteCount - result.segment.byteCount
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
