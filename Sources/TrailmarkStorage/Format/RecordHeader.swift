/// The 24-byte header in front of every record payload (`docs/STORAGE.md` § Record).
///
///     offset size field
///      0     4    crc32c        CRC32C over bytes 4..<24 of the header, then the payload
///      4     4    payloadBytes  length of the payload that follows the header
///      8     8    seq           the record's sequence number (dense per log, from 0)
///     16     1    kind          RecordKind (never 0)
///     17     1    flags         0 (reserved)
///     18     2    reserved      0
///     20     4    groupOffset   seq minus the first seq of the write group (0 = group start)
///
/// All integers little-endian. A record occupies `header + payload` rounded up to 8 bytes;
/// the padding is zero and not covered by the CRC.
struct RecordHeader: Hashable, Sendable {
    static let byteCount = 24
    /// Records start on 8-byte boundaries.
    static let alignment = 8

    var payloadBytes: UInt32
    var seq: UInt64
    var kind: RecordKind
    var groupOffset: UInt32

    /// Bytes the record occupies in a segment, padding included.
    static func storedBytes(payloadBytes: Int) -> Int {
        (byteCount + payloadBytes + alignment - 1) & ~(alignment - 1)
    }

    var storedBytes: Int { Self.storedBytes(payloadBytes: Int(payloadBytes)) }

    /// The first seq of the write group this record was appended in.
    var groupStartSeq: UInt64 { seq &- UInt64(groupOffset) }

    /// Writes the header (with its CRC over header and `payload`) at `destination`.
    /// Precondition: `destination` has room for `byteCount` bytes; `payload.count == payloadBytes`.
    func write(to destination: UnsafeMutableRawPointer, payload: UnsafeRawBufferPointer) {
        precondition(payload.count == Int(payloadBytes), "payload length differs from header")
        destination.storeBytes(of: payloadBytes.littleEndian, toByteOffset: 4, as: UInt32.self)
        destination.storeBytes(of: seq.littleEndian, toByteOffset: 8, as: UInt64.self)
        destination.storeBytes(of: kind.rawValue, toByteOffset: 16, as: UInt8.self)
        destination.storeBytes(of: 0, toByteOffset: 17, as: UInt8.self)
        destination.storeBytes(of: UInt16(0), toByteOffset: 18, as: UInt16.self)
        destination.storeBytes(of: groupOffset.littleEndian, toByteOffset: 20, as: UInt32.self)
        var crc = CRC32C.checksum(UnsafeRawBufferPointer(start: destination + 4, count: Self.byteCount - 4))
        crc = CRC32C.checksum(payload, continuing: crc)
        destination.storeBytes(of: crc.littleEndian, toByteOffset: 0, as: UInt32.self)
    }

    /// Why the bytes at an offset are not a valid record.
    enum Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        /// Fewer than a header's bytes remain before the end of the segment.
        case noRoomForHeader
        /// The header is all zero: the preallocated, never-written part of a segment.
        case zeroFill
        /// Kind 0 or non-zero reserved bytes in an otherwise non-zero header.
        case malformedHeader
        /// The declared payload runs past the end of the segment (both numbers given).
        case payloadPastEnd(declared: Int, available: Int)
        /// The stored CRC differs from the computed one.
        case checksumMismatch(stored: UInt32, computed: UInt32)

        var description: String {
            switch self {
            case .noRoomForHeader: "no room for a record header"
            case .zeroFill: "zero fill"
            case .malformedHeader: "malformed header (kind 0 or reserved bytes set)"
            case let .payloadPastEnd(declared, available):
                "declared payload of \(declared) bytes exceeds the \(available) bytes left in the segment"
            case let .checksumMismatch(stored, computed):
                "CRC32C mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16)))"
            }
        }
    }

    /// Parses and verifies the record at `start` in `region`, returning the header or the
    /// reason the bytes are not a record. Reads nothing outside `region`.
    static func validate(in region: UnsafeRawBufferPointer, at start: Int) -> Result<RecordHeader, Invalid> {
        guard start >= 0, region.count - start >= byteCount, let base = region.baseAddress else {
            return .failure(.noRoomForHeader)
        }
        let p = base + start
        let storedCRC = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let length = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let seq = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let kindByte = p.load(fromByteOffset: 16, as: UInt8.self)
        let reserved = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt32.self)) & 0xFFFF_FF00
        let groupOffset = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        if storedCRC == 0 && length == 0 && seq == 0 && kindByte == 0 && reserved == 0 && groupOffset == 0 {
            return .failure(.zeroFill)
        }
        guard let kind = RecordKind(rawValue: kindByte), reserved == 0 else { return .failure(.malformedHeader) }
        let available = region.count - start - byteCount
        guard Int(length) <= available else {
            return .failure(.payloadPastEnd(declared: Int(length), available: available))
        }
        var crc = CRC32C.checksum(UnsafeRawBufferPointer(start: p + 4, count: byteCount - 4))
        crc = CRC32C.checksum(UnsafeRawBufferPointer(start: p + byteCount, count: Int(length)), continuing: crc)
        guard crc == storedCRC else { return .failure(.checksumMismatch(stored: storedCRC, computed: crc)) }
        return .success(RecordHeader(payloadBytes: length, seq: seq, kind: kind, groupOffset: groupOffset))
    }
}
