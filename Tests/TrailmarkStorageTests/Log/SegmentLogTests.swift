import Dispatch
import Synchronization
import Testing
@testable import TrailmarkStorage

@Suite struct SegmentLogTests {
    @Test func appendsGetDenseSeqsAndReadBackAfterReopen() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let kinds: [RecordKind] = [.eventBatch, .identifyBatch, .forget, .checkpoint]
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(log.recoveryReport.nextSeq == 0)
        for i in 0..<50 {
            let seq = try await log.append(payload(tag: UInt64(i), bytes: 8 + i * 13), kind: kinds[i % 4])
            #expect(seq == UInt64(i))
        }
        #expect(log.committedEnd == 50)
        await log.close()

        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(reopened.recoveryReport.recordsVerified == 50)
        #expect(reopened.recoveryReport.tornBytesTruncated == 0)
        let records = try readAll(reopened)
        #expect(records.map(\.seq) == (0..<50).map { UInt64($0) })
        for (i, record) in records.enumerated() {
            #expect(record.payload == payload(tag: UInt64(i), bytes: 8 + i * 13))
            #expect(record.kind == kinds[i % 4])
        }
        #expect(try await reopened.append([9], kind: .eventBatch) == 50)
        await reopened.close()
    }

    @Test func batchRecordsGetConsecutiveSeqs() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        _ = try await log.append([1], kind: .eventBatch)
        let batch = (0..<10).map { AppendRecord(kind: .identifyBatch, payload: payload(tag: UInt64(100 + $0), bytes: 40)) }
        let range = try await log.append(batch)
        #expect(range == 1..<11)
        let records = try readAll(log, from: 1)
        #expect(records.map(\.payload) == batch.map(\.payload))
        await log.close()
    }

    @Test func rollsAcrossSegmentsAndFindsAnySeq() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        for start in stride(from: 0, to: 400, by: 20) {
            let batch = (start..<(start + 20)).map { AppendRecord(kind: .eventBatch, payload: payload(tag: UInt64($0), bytes: 1000)) }
            _ = try await log.append(batch)
        }
        let names = dir.segmentNames()
        #expect(names.count >= 6, "400 KiB of records in 64 KiB segments")
        #expect(names.first == SegmentHeader.fileName(baseSeq: 0))
        // Every file is named by the seq of its first record.
        for name in names {
            let base = try #require(SegmentHeader.baseSeq(fromFileName: name))
            var first: UInt64?
            try log.read(from: base, maxRecords: 1) { seq, _, _ in first = seq }
            #expect(first == base)
        }
        for seq: UInt64 in [0, 1, 63, 64, 199, 200, 333, 399] {
            var seen: [UInt64] = []
            let next = try log.read(from: seq, maxRecords: 2) { seq, _, span in
                span.withUnsafeBytes { #expect(Array($0) == payload(tag: seq, bytes: 1000)) }
                seen.append(seq)
            }
            #expect(seen == Array(seq..<min(seq + 2, 400)))
            #expect(next == min(seq + 2, 400))
        }
        #expect(try log.read(from: 400) { _, _, _ in Issue.record("nothing past the watermark") } == 400)
        // Sealed segments give up their descriptors: only the tail keeps one.
        #expect(log.writer.segments.snapshot.filter { $0.file != nil }.map(\.name) == [names[names.count - 1]])
        await log.close()
        let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(reopened.writer.segments.snapshot.filter { $0.file != nil }.count == 1)
        #expect(try readAll(reopened).count == 400)
        await reopened.close()
    }

    @Test func aSecondOpenOfTheDirectoryIsLocked() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        let error = #expect(throws: StorageError.self) { try SegmentLog.open(directory: dir.path, configuration: smallConfiguration()) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("LOCK") == true)
        await log.close()
        // Closing releases the lock.
        let again = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        await again.close()
    }

    @Test func badInputIsRefusedWithTheFieldNamed() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let configuration = smallConfiguration()
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        let tooBig = [UInt8](repeating: 1, count: configuration.recordPayloadBytesMax + 1)
        await #expect(throws: StorageError(.invalidArgument, "payload of 65449 bytes exceeds recordPayloadBytesMax (65448)")) {
            _ = try await log.append(tooBig, kind: .eventBatch)
        }
        let error = await #expect(throws: StorageError.self) {
            _ = try await log.append([AppendRecord(kind: .eventBatch, payload: [1]), AppendRecord(kind: .eventBatch, payload: tooBig)])
        }
        #expect(error?.message.hasPrefix("records[1].payload") == true)
        await #expect(throws: StorageError.self) { _ = try await log.append([]) }
        // The largest payload fits.
        _ = try await log.append([UInt8](repeating: 2, count: configuration.recordPayloadBytesMax), kind: .eventBatch)
        await log.close()

        var badRing = smallConfiguration()
        badRing.ringCapacity = 100
        let ringError = #expect(throws: StorageError.self) { try SegmentLog.open(directory: dir.path, configuration: badRing) }
        #expect(ringError?.message.hasPrefix("ringCapacity") == true)
        var badSegment = smallConfiguration()
        badSegment.segmentBytes = 5000
        let segmentError = #expect(throws: StorageError.self) { try SegmentLog.open(directory: dir.path, configuration: badSegment) }
        #expect(segmentError?.message.hasPrefix("segmentBytes") == true)
    }

    @Test func waitForCommitWakesATailingReader() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        async let watermark = log.waitForCommit(past: 4)
        for i in 0..<5 { _ = try await log.append([UInt8(i)], kind: .eventBatch) }
        #expect(try await watermark >= 5)
        #expect(try await log.waitForCommit(past: 0) == 5)
        await log.close()
    }

    @Test func closeFailsLaterAppendsAndPendingWaiters() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        _ = try await log.append([1], kind: .eventBatch)
        let waiter = Task { try await log.waitForCommit(past: 100) }
        await log.close()
        await log.close() // idempotent
        await #expect(throws: StorageError.self) { _ = try await waiter.value }
        let error = await #expect(throws: StorageError.self) { _ = try await log.append([2], kind: .eventBatch) }
        #expect(error?.code == .closed)
        #expect(throws: StorageError.self) { _ = try log.enforceRetention() }
    }

    @Test func manyConcurrentProducersEachGetDistinctDenseSeqs() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration(segmentBytes: 256 << 10, ringCapacity: 16))
        let seqs = try await withThrowingTaskGroup(of: [(UInt64, UInt64)].self) { group in
            for producer in 0..<8 {
                group.addTask {
                    var mine: [(UInt64, UInt64)] = []
                    for i in 0..<100 {
                        let tag = UInt64(producer * 1000 + i)
                        mine.append((try await log.append(payload(tag: tag, bytes: 100), kind: .eventBatch), tag))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(seqs.map(\.0)) == Set((0..<800).map { UInt64($0) }))
        let records = try readAll(log)
        let tagBySeq = Dictionary(uniqueKeysWithValues: seqs)
        for record in records { #expect(record.payload == payload(tag: tagBySeq[record.seq] ?? .max, bytes: 100)) }
        await log.close()
    }

    @Test func durabilityNoneStillAppendsAndReads() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = smallConfiguration()
        configuration.durability = .none
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        let range = try await log.append((0..<10).map { AppendRecord(kind: .eventBatch, payload: [UInt8($0)]) })
        #expect(range == 0..<10)
        #expect(try readAll(log).map { $0.payload[0] } == (0..<10).map { UInt8($0) })
        await log.close()
    }
}

extension SegmentLogTests {
    @Test func cancellingATailingReaderEndsItsWait() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        let waiter = Task { try await log.waitForCommit(past: 1000) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        // Other waiters are unaffected.
        async let other = log.waitForCommit(past: 0)
        _ = try await log.append([1], kind: .eventBatch)
        #expect(try await other == 1)
        await log.close()
    }

    @Test(arguments: [LogConfiguration.Durability.group, .none])
    func writeStatisticsCountGroupsRecordsBytesAndSyncs(durability: LogConfiguration.Durability) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var configuration = smallConfiguration()
        configuration.durability = durability
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        #expect(log.writeStatistics == WriteStatistics())
        var bytes: UInt64 = 0
        for i in 0..<30 {
            let size = 10 + 97 * i // 30 KiB in all: rolls at least once in 64 KiB segments
            _ = try await log.append(payload(tag: UInt64(i), bytes: size), kind: .eventBatch)
            bytes += UInt64(RecordHeader.storedBytes(payloadBytes: size))
        }
        let batch = (0..<40).map { AppendRecord(kind: .identifyBatch, payload: payload(tag: UInt64(100 + $0), bytes: 1000)) }
        _ = try await log.append(batch)
        bytes += 40 * UInt64(RecordHeader.storedBytes(payloadBytes: 1000))
        let statistics = log.writeStatistics
        // Sequential awaits: one request per group.
        #expect(statistics.groups == 31)
        #expect(statistics.records == 70)
        #expect(statistics.bytes == bytes)
        // One sync per segment a group touched; none without durability.
        #expect(statistics.syncs == (durability == .group ? 31 + UInt64(dir.segmentNames().count - 1) : 0))
        await log.close()
    }
}
