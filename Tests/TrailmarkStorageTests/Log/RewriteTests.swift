import Testing
@testable import TrailmarkStorage

/// `rewrite(records:_:)`, `sealTail()` and the atomic multi-segment commit.
@Suite struct RewriteTests {
    struct SimulatedCrash: Error {}

    /// 300 records of 1,000 bytes in 64 KiB segments (5 segments), payload tag = seq.
    private func filledLog(_ dir: TemporaryDirectory, configuration: LogConfiguration = smallConfiguration()) async throws -> SegmentLog {
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        for start in stride(from: 0, to: 300, by: 30) {
            _ = try await log.append((start..<(start + 30)).map { AppendRecord(kind: .eventBatch, payload: payload(tag: UInt64($0), bytes: 1000)) })
        }
        return log
    }

    /// Replaces every selected record's payload with 16 bytes: its tag, then a marker.
    private func shrink(_ seq: UInt64, _ kind: RecordKind, _ span: RawSpan) -> RecordRewrite {
        let tag = span.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        return .replace(payload(tag: tag, bytes: 8) + [0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE])
    }

    @Test func replacesAndDropsOnlyTheSelectedRecordsKeepingSeqsAndKinds() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try await filledLog(dir)
        _ = try await log.sealTail()
        let before = dir.segmentNames()
        let replace: Set<UInt64> = [3, 150, 299], drop: Set<UInt64> = [7, 151]
        var asked: [UInt64] = []
        let report = try log.rewrite(records: replace.union(drop)) { seq, kind, span in
            asked.append(seq)
            return drop.contains(seq) ? .drop : shrink(seq, kind, span)
        }
        #expect(asked == replace.union(drop).sorted(), "the transform sees exactly the selected records, in order")
        #expect(report.recordsReplaced == 3 && report.recordsDropped == 2)
        let firstOf = before.compactMap(SegmentHeader.baseSeq(fromFileName:))
        // Only the segments holding a selected seq were rewritten.
        let touched = Set([3, 7, 150, 151, 299].map { seq in firstOf.last(where: { $0 <= seq })! })
        #expect(Set(report.rewrittenSegments.compactMap(SegmentHeader.baseSeq(fromFileName:))) == touched)

        func check(_ log: SegmentLog) throws {
            let records = try readAll(log)
            #expect(records.map(\.seq) == (0..<300).map(UInt64.init).filter { !drop.contains($0) })
            for r in records {
                #expect(r.kind == .eventBatch)
                if replace.contains(r.seq) {
                    #expect(r.payload.count == 16 && r.payload.prefix(8) == payload(tag: r.seq, bytes: 8)[...])
                } else {
                    #expect(r.payload == payload(tag: r.seq, bytes: 1000))
                }
            }
        }
        try check(log)
        await log.close()
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        try check(reopened)
        #expect(try await reopened.append([1], kind: .eventBatch) == 300)
        await reopened.close()
        #expect(!dir.entries().contains { $0.hasSuffix(".tmp") || $0 == CompactionCommit.manifest })
    }

    @Test func refusesSeqsStillInTheTailAndChangesNothing() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try await filledLog(dir)
        let files = dir.segmentNames().map { dir.read($0) }
        #expect(throws: StorageError.self) {
            try log.rewrite(records: [0, 299]) { _, _, _ in .drop }
        }
        #expect(dir.segmentNames().map { dir.read($0) } == files)
        #expect(try readAll(log).count == 300)
        await log.close()
    }

    @Test func sealTailRollsOnlyWhenTheTailHoldsRecords() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try await filledLog(dir)
        let count = dir.segmentNames().count
        #expect(try await log.sealTail() == 300)
        #expect(dir.segmentNames().count == count + 1)
        #expect(try await log.sealTail() == 300, "an empty tail is not rolled again")
        #expect(dir.segmentNames().count == count + 1)
        #expect(try await log.append([9], kind: .eventBatch) == 300)
        await log.close()
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(try readAll(reopened).map(\.seq) == (0..<301).map(UInt64.init))
        await reopened.close()
    }

    /// A crash after the commit point (manifest durable, some renames done): recovery
    /// finishes every rename, so the rewrite is whole.
    @Test func crashAfterTheCommitPointIsRolledForward() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = smallConfiguration()
        configuration.compactionWillRenameForTesting = { renamed in if renamed == 1 { throw SimulatedCrash() } }
        let log = try await filledLog(dir, configuration: configuration)
        _ = try await log.sealTail()
        let selected: Set<UInt64> = [0, 100, 200, 299]
        #expect(throws: SimulatedCrash.self) {
            try log.rewrite(records: selected) { seq, _, _ in .drop }
        }
        #expect(dir.entries().contains(CompactionCommit.manifest))
        await log.close()
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(try readAll(reopened).map(\.seq) == (0..<300).map(UInt64.init).filter { !selected.contains($0) })
        #expect(!dir.entries().contains { $0.hasSuffix(".tmp") || $0 == CompactionCommit.manifest })
        await reopened.close()
    }

    /// A crash before the commit point: every original stays, the temporaries go.
    @Test func crashBeforeTheCommitPointKeepsEveryOriginal() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try await filledLog(dir)
        _ = try await log.sealTail()
        var prepared = 0
        #expect(throws: SimulatedCrash.self) {
            try log.rewrite(records: [0, 100, 200]) { seq, _, _ in
                prepared += 1
                // The third segment's transform fails after two temporaries were written.
                if prepared == 3 { throw SimulatedCrash() }
                return .drop
            }
        }
        #expect(!dir.entries().contains { $0.hasSuffix(".tmp") }, "a failed rewrite removes its temporaries")
        await log.close()
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(try readAll(reopened).map(\.seq) == (0..<300).map(UInt64.init))
        #expect(!dir.entries().contains { $0.hasSuffix(".tmp") })
        await reopened.close()
    }
}
