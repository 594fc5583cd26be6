import Glibc
import Testing
@testable import TrailmarkStorage

@Suite struct RecordStagerTests {
    /// A zero-filled file of `bytes` in `dir`, open for writing.
    private func zeroFile(_ dir: TemporaryDirectory, _ name: String, bytes: Int = 8192) throws -> FileDescriptor {
        let file = try FileDescriptor.open(dir.file(name), flags: O_RDWR | O_CREAT | O_EXCL)
        try file.preallocate(bytes: bytes)
        return file
    }

    private func stage(_ stager: RecordStager, seq: UInt64, payload: [UInt8], file: FileDescriptor, offset: Int) throws {
        let header = RecordHeader(payloadBytes: UInt32(payload.count), seq: seq, kind: .eventBatch, groupOffset: UInt32(seq))
        let result = payload.withUnsafeBytes { bytes in
            Result { () throws(StorageError) in try stager.stage(header, payload: bytes, file: file, offset: offset) }
        }
        try result.get()
    }

    /// Validates consecutive records from `offset`; returns (seq, payload) of each until zero fill.
    private func records(in file: FileDescriptor, from offset: Int) throws -> [(seq: UInt64, payload: [UInt8])] {
        let bytes = try file.read(count: try file.size(), at: 0)
        var out: [(seq: UInt64, payload: [UInt8])] = []
        var at = offset
        while case .success(let header) = bytes.withUnsafeBytes({ RecordHeader.validate(in: $0, at: at) }) {
            let start = at + RecordHeader.byteCount
            out.append((header.seq, Array(bytes[start..<(start + Int(header.payloadBytes))])))
            // Padding is zero.
            #expect(bytes[(start + Int(header.payloadBytes))..<(at + header.storedBytes)].allSatisfy { $0 == 0 })
            at += header.storedBytes
        }
        return out
    }

    @Test func stagedBytesReachTheFileOnlyOnFlushAndValidateAsRecords() throws {
        let dir = TemporaryDirectory("stager")
        defer { dir.remove() }
        let file = try zeroFile(dir, "a")
        let stager = RecordStager(capacity: 256)
        // 13 and 61 bytes need padding; 1000 bytes is larger than the buffer (streamed in pieces).
        let payloads = [payload(tag: 1, bytes: 13), payload(tag: 2, bytes: 8), payload(tag: 3, bytes: 1000), payload(tag: 4, bytes: 61)]
        var offset = 64
        for (i, bytes) in payloads.enumerated() {
            try stage(stager, seq: UInt64(i), payload: bytes, file: file, offset: offset)
            offset += RecordHeader.storedBytes(payloadBytes: bytes.count)
        }
        #expect(stager.pendingBytes > 0)
        // The first two went out when the big one did not fit; the last one is still staged.
        let early = try records(in: file, from: 64).map(\.payload)
        #expect(early.count >= 2 && early.count < 4)
        #expect(early == Array(payloads.prefix(early.count)))
        try stager.flush()
        #expect(stager.pendingBytes == 0)
        let written = try records(in: file, from: 64)
        #expect(written.map(\.seq) == [0, 1, 2, 3])
        #expect(written.map(\.payload) == payloads)
    }

    @Test func anotherFileOrAGapFlushesWhatIsStaged() throws {
        let dir = TemporaryDirectory("stager")
        defer { dir.remove() }
        let first = try zeroFile(dir, "a")
        let second = try zeroFile(dir, "b")
        let stager = RecordStager(capacity: 4096)
        try stage(stager, seq: 0, payload: payload(tag: 10, bytes: 100), file: first, offset: 64)
        #expect(try records(in: first, from: 64).isEmpty, "still staged")
        try stage(stager, seq: 1, payload: payload(tag: 11, bytes: 100), file: second, offset: 64)
        #expect(try records(in: first, from: 64).map(\.payload) == [payload(tag: 10, bytes: 100)])
        // Not contiguous with what is staged for `second`: that goes out first, at its own offset.
        try stage(stager, seq: 2, payload: payload(tag: 12, bytes: 50), file: second, offset: 1024)
        try stager.flush()
        #expect(try records(in: second, from: 64).map(\.payload) == [payload(tag: 11, bytes: 100)])
        #expect(try records(in: second, from: 1024).map(\.seq) == [2])
    }

    @Test func recordsLargerThanTheStagerRoundTripThroughTheLog() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let configuration = smallConfiguration(segmentBytes: 2 << 20)
        let log = try SegmentLog.open(directory: dir.path, configuration: configuration)
        let sizes = [100, 700 << 10, 3, 300 << 10, 1 << 10]
        let batch = sizes.enumerated().map { AppendRecord(kind: .eventBatch, payload: payload(tag: UInt64($0.offset), bytes: $0.element)) }
        #expect(try await log.append(batch) == 0..<5)
        // The next record does not fit in the rest of the segment: it rolls to a new file.
        #expect(try await log.append(payload(tag: 5, bytes: 1500 << 10), kind: .eventBatch) == 5)
        await log.close()

        let reopened = try SegmentLog.open(directory: dir.path, configuration: configuration)
        #expect(reopened.recoveryReport.recordsVerified == 6)
        #expect(reopened.recoveryReport.tornBytesTruncated == 0)
        let read = try readAll(reopened)
        #expect(read.map(\.payload) == batch.map(\.payload) + [payload(tag: 5, bytes: 1500 << 10)])
        await reopened.close()
    }
}
