/// The 64-byte header at the start of every segment file (`docs/STORAGE.md` § Segment).
///
///     offset size field
///      0     8    magic           "TRLMSEG1"
///      8     4    formatVersion   1
///     12     4    flags           bit 0: compacted (records may skip seqs)
///     16     8    baseSeq         seq of the segment's first record slot (also its file name)
///     24     8    seqEnd          compacted: one past the last seq the segment covers; else 0
///     32     8    fileBytes       size the file was preallocated to
///     40     8    createdMillis   creation time, milliseconds since 1970 (UTC)
///     48    12    reserved        0
///     60     4    crc32c          CRC32C over bytes 0..<60
///
/// All integers little-endian. Records start at offset 64.
struct SegmentHeader: Hashable, Sendable {
    static let byteCount = 64
    static let magic: [UInt8] = Array("TRLMSEG1".utf8)
    static let formatVersion: UInt32 = 1
    static let compactedFlag: UInt32 = 1

    var flags: UInt32 = 0
    var baseSeq: UInt64
    var seqEnd: UInt64 = 0
    var fileBytes: UInt64
    var createdMillis: Int64

    var isCompacted: Bool { flags & Self.compactedFlag != 0 }

    /// The header's 64 bytes, CRC included.
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        bytes.withUnsafeMutableBytes { out in
            out.copyBytes(from: Self.magic)
            out.storeBytes(of: Self.formatVersion.littleEndian, toByteOffset: 8, as: UInt32.self)
            out.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt32.self)
            out.storeBytes(of: baseSeq.littleEndian, toByteOffset: 16, as: UInt64.self)
            out.storeBytes(of: seqEnd.littleEndian, toByteOffset: 24, as: UInt64.self)
            out.storeBytes(of: fileBytes.littleEndian, toByteOffset: 32, as: UInt64.self)
            out.storeBytes(of: createdMillis.littleEndian, toByteOffset: 40, as: Int64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out[0..<60]))
            out.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
        }
        return bytes
    }

    /// Parses and verifies a header, or says why the bytes are not one.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<SegmentHeader, StorageError> {
        guard bytes.count >= byteCount else {
            return .failure(StorageError(.corrupted, "segment header needs \(byteCount) bytes, file has \(bytes.count)"))
        }
        guard bytes[0..<8].elementsEqual(magic) else {
            return .failure(StorageError(.corrupted, "segment header magic is not TRLMSEG1"))
        }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        guard stored == computed else {
            return .failure(StorageError(.corrupted, "segment header CRC32C mismatch"))
        }
        let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == formatVersion else {
            return .failure(StorageError(.unsupportedFormat, "segment format version \(version), this build reads \(formatVersion)"))
        }
        return .success(SegmentHeader(
            flags: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            baseSeq: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            seqEnd: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
            fileBytes: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self)),
            createdMillis: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 40, as: Int64.self))
        ))
    }

    /// The file name of the segment starting at `baseSeq`: 20 zero-padded decimal digits, so
    /// names sort in seq order.
    static func fileName(baseSeq: UInt64) -> String {
        let digits = String(baseSeq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    /// The base seq a segment file name encodes, or nil for any other file.
    static func baseSeq(fromFileName name: String) -> UInt64? {
        guard name.hasSuffix(".seg"), name.utf8.count == 24 else { return nil }
        return UInt64(name.dropLast(4))
    }
}
