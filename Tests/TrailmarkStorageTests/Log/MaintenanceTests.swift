import Testing
@testable import TrailmarkStorage

@Suite struct RetentionTests {
    /// A log of 64 KiB segments holding 300 records of 1,000 bytes (5 segments).
    private func filledLog(_ dir: TemporaryDirectory, retention: LogConfiguration.Retention) async throws -> SegmentLog {
        var configuration = smallConfiguration()
        configuration.retention = retention
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        for start in stride(from: 0, to: 300, by: 30) {
            _ = try await log.append((start..<(start + 30)).map { AppendRecord(kind: .eventBatch, payload: payload(tag: UInt64($0), bytes: 1000)) })
        }
        return log
    }

    @Test func sizeLimitDeletesOldestSegmentsButNeverTheTail() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try await filledLog(dir, retention: .init(totalBytesMax: 2 * (64 << 10)))
        let before = dir.segmentNames()
        #expect(before.count == 5)
        let report = try log.enforceRetention()
        #expect(report.removedSegments == Array(before.prefix(3)))
        #expect(dir.segmentNames() == Array(before.suffix(2)))
        #expect(log.firstSeq == SegmentHeader.baseSeq(fromFileName: before[3]))
        #expect(report.firstSeq == log.firstSeq)
        // Reading from 0 starts at the first retained record.
        let records = try readAll(log)
        #expect(records.first?.seq == log.firstSeq)
        #expect(records.last?.seq == 299)
        await log.close()
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(reopened.firstSeq == report.firstSeq)
        #expect(try await reopened.append([1], kind: .eventBatch) == 300)
        await reopened.close()
    }

    @Test func ageLimitCountsFromWhenASegmentWasSealed() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try await filledLog(dir, retention: .init(ageMax: .seconds(3600)))
        let now = SystemCall.nowMillis()
        #expect(try log.enforceRetention(nowMillis: now).removedSegments.isEmpty)
        let later = try log.enforceRetention(nowMillis: now + 2 * 3600 * 1000)
        #expect(later.removedSegments.count == 4)
        #expect(dir.segmentNames().count == 1)
        #expect(try readAll(log).count == 300 - Int(log.firstSeq))
        await log.close()
    }
}

@Suite struct CompactionTests {
    @Test func dropsMatchingRecordsFromSealedSegmentsKeepingSeqs() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        for start in stride(from: 0, to: 300, by: 30) {
            _ = try await log.append((start..<(start + 30)).map { i in
                AppendRecord(kind: i % 3 == 0 ? .forget : .eventBatch, payload: payload(tag: UInt64(i), bytes: 1000))
            })
        }
        let sizesBefore = dir.segmentNames().map { dir.read($0).count }
        let tailBase = try #require(dir.segmentNames().last.flatMap(SegmentHeader.baseSeq(fromFileName:)))
        var seen: [UInt64] = []
        let report = try log.compact { seq, kind, payloadSpan in
            seen.append(seq)
            // Drop records whose payload tag (first 8 bytes) is odd.
            let tag = payloadSpan.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(tag == seq && (kind == .forget) == (seq % 3 == 0))
            return tag % 2 == 1
        }
        #expect(seen == Array(0..<tailBase), "the predicate sees each sealed record once")
        #expect(report.rewrittenSegments.count == 4)
        #expect(report.recordsDropped == Int(tailBase) / 2)
        #expect(report.bytesReclaimed > 0)
        let sizesAfter = dir.segmentNames().map { dir.read($0).count }
        #expect(zip(sizesBefore.dropLast(), sizesAfter.dropLast()).allSatisfy { $1 < $0 })

        func check(_ log: SegmentLog) throws {
            let records = try readAll(log)
            let expected = (0..<300).map { UInt64($0) }.filter { $0 >= tailBase || $0 % 2 == 0 }
            #expect(records.map(\.seq) == expected)
            for r in records { #expect(r.payload == payload(tag: r.seq, bytes: 1000)) }
            // Reading from a dropped seq starts at the next kept one.
            var first: UInt64?
            try log.read(from: 5, maxRecords: 1) { seq, _, _ in first = seq }
            #expect(first == 6)
        }
        try check(log)
        #expect(try log.compact { _, _, _ in false }.rewrittenSegments.isEmpty)
        await log.close()

        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        try check(reopened)
        #expect(try await reopened.append([1], kind: .eventBatch) == 300)
        // A compacted segment can be compacted again.
        let again = try reopened.compact { seq, _, _ in seq == 0 }
        #expect(again.recordsDropped == 1)
        #expect(try readAll(reopened).first?.seq == 2)
        await reopened.close()
        #expect(!dir.entries().contains { $0.hasSuffix(".tmp") })
    }
}
