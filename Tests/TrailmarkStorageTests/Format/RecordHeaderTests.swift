import Testing
@testable import TrailmarkStorage

@Suite struct RecordHeaderTests {
    /// Writes one record (header + payload) into a zeroed buffer of `capacity` bytes.
    private func encode(_ header: RecordHeader, payload: [UInt8], capacity: Int = 256) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        buffer.withUnsafeMutableBytes { out in
            let body = UnsafeMutableRawBufferPointer(rebasing: out[RecordHeader.byteCount...])
            payload.withUnsafeBytes { body.copyMemory(from: $0) }
            // `out` holds at least a header, so its base address is non-nil.
            header.write(to: out.baseAddress!, payload: UnsafeRawBufferPointer(rebasing: out[RecordHeader.byteCount..<(RecordHeader.byteCount + payload.count)]))
        }
        return buffer
    }

    private func validate(_ bytes: [UInt8], at offset: Int = 0) -> Result<RecordHeader, RecordHeader.Invalid> {
        bytes.withUnsafeBytes { RecordHeader.validate(in: $0, at: offset) }
    }

    @Test func roundTrip() throws {
        let header = RecordHeader(payloadBytes: 5, seq: 0x0102_0304_0506_0708, kind: .identifyBatch, groupOffset: 3)
        let bytes = encode(header, payload: [1, 2, 3, 4, 5])
        #expect(try validate(bytes).get() == header)
        #expect(header.groupStartSeq == 0x0102_0304_0506_0705)
        // Little-endian seq at offset 8, kind at 16.
        #expect(Array(bytes[8..<16]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(bytes[16] == RecordKind.identifyBatch.rawValue)
    }

    @Test(arguments: [(0, 24), (1, 32), (8, 32), (9, 40), (1000, 1024)])
    func storedBytesAreHeaderPlusPayloadRoundedToEight(payload: Int, stored: Int) {
        #expect(RecordHeader.storedBytes(payloadBytes: payload) == stored)
    }

    @Test func zeroFillIsNotARecord() {
        #expect(validate([UInt8](repeating: 0, count: 64)) == .failure(.zeroFill))
    }

    @Test func shortRegionHasNoRoomForHeader() {
        #expect(validate([UInt8](repeating: 1, count: 23)) == .failure(.noRoomForHeader))
        #expect(validate([UInt8](repeating: 0, count: 64), at: 48) == .failure(.noRoomForHeader))
    }

    @Test func everyFlippedBitIsDetected() {
        let header = RecordHeader(payloadBytes: 16, seq: 9, kind: .eventBatch, groupOffset: 0)
        let good = encode(header, payload: payload(tag: 1, bytes: 16), capacity: 40)
        for byte in 0..<40 {
            for bit in 0..<8 {
                var bad = good
                bad[byte] ^= UInt8(1 << bit)
                if case .success = validate(bad) {
                    Issue.record("flip of bit \(bit) in byte \(byte) went unnoticed")
                }
            }
        }
    }

    @Test func declaredLengthPastTheRegionNamesBothNumbers() {
        let header = RecordHeader(payloadBytes: 100, seq: 1, kind: .eventBatch, groupOffset: 0)
        let bytes = encode(header, payload: payload(tag: 2, bytes: 100), capacity: 200)
        let truncated = Array(bytes[..<64])
        #expect(validate(truncated) == .failure(.payloadPastEnd(declared: 100, available: 40)))
        #expect("\(RecordHeader.Invalid.payloadPastEnd(declared: 100, available: 40))".contains("100"))
    }

    @Test func kindZeroIsMalformed() {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[4] = 1 // a length, but kind 0
        #expect(validate(bytes) == .failure(.malformedHeader))
        #expect(RecordKind(rawValue: 0) == nil)
        #expect(RecordKind(rawValue: 3) == .forget)
        #expect(RecordKind.tombstone == .forget)
    }
}

@Suite struct SegmentHeaderTests {
    @Test func roundTrip() throws {
        let header = SegmentHeader(flags: SegmentHeader.compactedFlag, baseSeq: 1234, seqEnd: 2000, fileBytes: 65536, createdMillis: 1_700_000_000_123)
        let bytes = header.encoded()
        #expect(bytes.count == 64)
        #expect(Array(bytes[0..<8]) == Array("TRLMSEG1".utf8))
        let decoded = try bytes.withUnsafeBytes { try SegmentHeader.decode($0).get() }
        #expect(decoded == header)
        #expect(decoded.isCompacted)
    }

    @Test func damagedHeadersAreRejected() {
        let good = SegmentHeader(baseSeq: 5, fileBytes: 65536, createdMillis: 1).encoded()
        for byte in [0, 9, 20, 59, 62] {
            var bad = good
            bad[byte] ^= 0x10
            let result = bad.withUnsafeBytes { SegmentHeader.decode($0) }
            #expect(throws: StorageError.self) { try result.get() }
        }
        let short = Array(good[..<40]).withUnsafeBytes { SegmentHeader.decode($0) }
        #expect(throws: StorageError.self) { try short.get() }
    }

    @Test func fileNamesSortBySeq() {
        #expect(SegmentHeader.fileName(baseSeq: 42) == "00000000000000000042.seg")
        #expect(SegmentHeader.baseSeq(fromFileName: "00000000000000000042.seg") == 42)
        #expect(SegmentHeader.baseSeq(fromFileName: "00000000000000000042.seg.corrupt") == nil)
        #expect(SegmentHeader.baseSeq(fromFileName: "LOCK") == nil)
        #expect(SegmentHeader.fileName(baseSeq: 9) < SegmentHeader.fileName(baseSeq: 10))
    }
}

@Suite struct SparseIndexTests {
    @Test func findsTheLastEntryAtOrBefore() {
        var index = SparseIndex(intervalBytes: 100, segmentBytes: 1000)
        // Records every 40 bytes: entries at offsets 64 (seq 0), 184 (3), 304 (6), …
        for i in 0..<20 { index.add(seq: UInt64(i), offset: 64 + i * 40) }
        #expect(index.count == 7)
        #expect(index.offset(atOrBefore: 0) == 64)
        #expect(index.offset(atOrBefore: 2) == 64)
        #expect(index.offset(atOrBefore: 3) == 184)
        #expect(index.offset(atOrBefore: 19) == 64 + 18 * 40)
        var empty = SparseIndex(intervalBytes: 100, segmentBytes: 1000)
        #expect(empty.offset(atOrBefore: 5) == nil)
        empty.add(seq: 10, offset: 64)
        #expect(empty.offset(atOrBefore: 5) == nil)
        #expect(empty.offset(atOrBefore: 10) == 64)
    }
}
