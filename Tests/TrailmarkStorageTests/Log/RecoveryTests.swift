import Testing
@testable import TrailmarkStorage

/// The records of a segment file as (offset, header), read straight from the file.
func recordLayout(_ bytes: [UInt8]) -> [(offset: Int, header: RecordHeader)] {
    var layout: [(offset: Int, header: RecordHeader)] = []
    var offset = SegmentHeader.byteCount
    bytes.withUnsafeBytes { region in
        while case .success(let header) = RecordHeader.validate(in: region, at: offset) {
            layout.append((offset, header))
            offset += header.storedBytes
        }
    }
    return layout
}

/// Encodes a record as the writer would, for tests that forge a torn write group.
func encodedRecord(seq: UInt64, groupOffset: UInt32, payload: [UInt8]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: RecordHeader.storedBytes(payloadBytes: payload.count))
    bytes.withUnsafeMutableBytes { out in
        let body = UnsafeMutableRawBufferPointer(rebasing: out[RecordHeader.byteCount..<(RecordHeader.byteCount + payload.count)])
        payload.withUnsafeBytes { body.copyMemory(from: $0) }
        // `out` holds at least a header, so its base address is non-nil.
        RecordHeader(payloadBytes: UInt32(payload.count), seq: seq, kind: .eventBatch, groupOffset: groupOffset)
            .write(to: out.baseAddress!, payload: UnsafeRawBufferPointer(body))
    }
    return bytes
}

@Suite struct RecoveryTests {
    /// A closed log with `count` records of 100 bytes, each appended (and synced) alone;
    /// returns the offset where its records end in the first segment.
    @discardableResult
    private func makeLog(_ dir: TemporaryDirectory, count: Int) async throws -> Int {
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        for i in 0..<count { _ = try await log.append(payload(tag: UInt64(i), bytes: 100), kind: .eventBatch) }
        await log.close()
        let last = try #require(recordLayout(dir.read(segment)).last)
        return last.offset + last.header.storedBytes
    }

    private let segment = SegmentHeader.fileName(baseSeq: 0)

    @Test func aTornPartialRecordAtTheTailIsTruncated() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let end = try await makeLog(dir, count: 10)
        // Half of record 10 reached the disk.
        let torn = Array(encodedRecord(seq: 10, groupOffset: 0, payload: payload(tag: 10, bytes: 100)).prefix(60))
        dir.patch(segment, at: end, with: torn)

        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(log.recoveryReport.tornBytesTruncated >= 60)
        #expect(try readAll(log).map(\.seq) == Array(0..<10))
        #expect(try await log.append([1], kind: .eventBatch) == 10)
        await log.close()
        #expect(recordLayout(dir.read(segment)).count == 11)
    }

    @Test func aTornGroupWithLaterRecordsOfTheSameGroupIsTruncated() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let end = try await makeLog(dir, count: 10)
        // Group 10...12 was in flight: records 11 and 12 reached the disk, 10 did not.
        var group: [UInt8] = []
        for (i, seq) in (10...12).enumerated() {
            group += encodedRecord(seq: UInt64(seq), groupOffset: UInt32(i), payload: payload(tag: UInt64(seq), bytes: 100))
        }
        for i in 0..<RecordHeader.storedBytes(payloadBytes: 100) { group[i] = 0 }
        dir.patch(segment, at: end, with: group)

        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(log.recoveryReport.tornBytesTruncated > 0)
        #expect(try readAll(log).map(\.seq) == Array(0..<10))
        await log.close()
        // The stale records of the torn group are gone from the file.
        #expect(recordLayout(dir.read(segment)).count == 10)
        #expect(dir.read(segment)[end..<(end + group.count)].allSatisfy { $0 == 0 })
    }

    @Test func aBadRecordFollowedByALaterGroupRefusesToOpenNamingFileAndOffset() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try await makeLog(dir, count: 10)
        let layout = recordLayout(dir.read(segment))
        let victim = layout[3].offset
        dir.patch(segment, at: victim + 40, with: [0xEE])

        let error = #expect(throws: StorageError.self) { try SegmentLog.open(directory: dir.path, configuration: smallConfiguration()) }
        #expect(error?.code == .corrupted)
        #expect(error?.message.contains(dir.file(segment)) == true)
        #expect(error?.message.contains("offset \(victim)") == true)
        // Nothing was changed: a second attempt fails the same way.
        #expect(throws: StorageError.self) { try SegmentLog.open(directory: dir.path, configuration: smallConfiguration()) }
    }

    @Test func repairKeepsTheGoodPrefixAndMovesTheRestAside() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try await makeLog(dir, count: 10)
        let before = dir.read(segment)
        let layout = recordLayout(before)
        let victim = layout[3].offset
        dir.patch(segment, at: victim + 40, with: [0xEE])

        var configuration = smallConfiguration()
        configuration.repair = true
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        #expect(log.recoveryReport.corruptFiles == [segment + ".corrupt"])
        #expect(try readAll(log).map(\.seq) == [0, 1, 2])
        #expect(try await log.append([7], kind: .eventBatch) == 3)
        await log.close()
        // The moved-aside file starts with the damaged record and holds the later ones.
        let aside = dir.read(segment + ".corrupt")
        let last = try #require(layout.last)
        let end = last.offset + last.header.storedBytes
        #expect(Array(aside[..<(end - victim)]) == { var b = Array(before[victim..<end]); b[40] = 0xEE; return b }())
    }

    @Test func aStrayEmptySegmentWithATornHeaderIsRemoved() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try await makeLog(dir, count: 5)
        let stray = SegmentHeader.fileName(baseSeq: 5)
        dir.patch(stray, at: 0, with: Array(SegmentHeader(baseSeq: 5, fileBytes: 65536, createdMillis: 0).encoded().prefix(20)))
        dir.patch(SegmentHeader.fileName(baseSeq: 0) + ".compact.tmp", at: 0, with: [1, 2, 3])
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration())
        #expect(log.recoveryReport.tornSegmentsRemoved == [stray])
        #expect(try readAll(log).count == 5)
        await log.close()
        #expect(dir.entries() == ["00000000000000000000.seg", "LOCK"])
    }

    /// Random damage inside the last write group (a flipped byte, or everything from a
    /// random offset zeroed as if never written) is truncated; the same damage inside an
    /// earlier group is refused. Records of earlier groups always survive intact.
    @Test(arguments: 0..<24)
    func randomTailDamage(seed: Int) async throws {
        var rng = SplitMix(seed: UInt64(seed))
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let log = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration(segmentBytes: 1 << 20))
        var groups: [Range<UInt64>] = []
        for g in 0..<6 {
            let count = 1 + Int(rng.next() % 6)
            let batch = (0..<count).map { i in AppendRecord(kind: .eventBatch, payload: payload(tag: UInt64(g * 100 + i), bytes: 20 + Int(rng.next() % 300))) }
            groups.append(try await log.append(batch))
        }
        await log.close()
        let bytes = dir.read(segment)
        let layout = recordLayout(bytes)
        let lastGroup = try #require(groups.last)
        let damageLast = seed % 2 == 0
        let target = damageLast ? lastGroup : groups[Int(rng.next() % 5)]
        // Pick a record of the target group and a byte of its header or payload (padding is
        // not covered by the CRC).
        let record = layout[Int(target.lowerBound) + Int(rng.next() % UInt64(target.count))]
        let offset = record.offset + Int(rng.next() % UInt64(RecordHeader.byteCount + Int(record.header.payloadBytes)))
        let zeroFromHere = rng.next() % 2 == 0
        if zeroFromHere {
            let lastRecord = try #require(layout.last)
            let end = lastRecord.offset + lastRecord.header.storedBytes
            let zeroEnd = damageLast ? end : min(end, layout[Int(target.upperBound - 1)].offset + layout[Int(target.upperBound - 1)].header.storedBytes)
            dir.patch(segment, at: offset, with: [UInt8](repeating: 0, count: zeroEnd - offset))
        } else {
            dir.patch(segment, at: offset, with: [bytes[offset] ^ UInt8(1 << (rng.next() % 8))])
        }

        if damageLast {
            let reopened = try SegmentLog.open(directory: dir.path, configuration: smallConfiguration(segmentBytes: 1 << 20))
            let records = try readAll(reopened)
            #expect(records.count >= Int(lastGroup.lowerBound) && records.count < Int(lastGroup.upperBound))
            for (i, r) in records.enumerated() { #expect(r.seq == UInt64(i)) }
            for r in records.prefix(Int(lastGroup.lowerBound)) {
                let stored = layout[Int(r.seq)]
                #expect(Array(bytes[(stored.offset + 24)..<(stored.offset + 24 + Int(stored.header.payloadBytes))]) == r.payload)
            }
            let next = try await reopened.append([1], kind: .eventBatch)
            #expect(next == UInt64(records.count))
            await reopened.close()
        } else {
            let error = #expect(throws: StorageError.self) {
                try SegmentLog.open(directory: dir.path, configuration: smallConfiguration(segmentBytes: 1 << 20))
            }
            #expect(error?.code == .corrupted)
        }
    }
}

/// A tiny seeded generator (SplitMix64) so random tests replay exactly.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
