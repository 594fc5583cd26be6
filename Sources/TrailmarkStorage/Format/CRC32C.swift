import CCRC32C

/// CRC32C (Castagnoli), the checksum over every record and segment header
/// (`docs/STORAGE.md` § Checksums; test vectors from RFC 3720 §B.4).
///
/// Uses the SSE4.2 `crc32` instruction when the CPU has it (checked once at run time),
/// a slicing-by-8 table otherwise.
public enum CRC32C {
    /// Whether the CPU instruction is in use.
    public static var usesHardware: Bool { trailmark_crc32c_hardware_available() != 0 }

    /// The CRC of `bytes`, or its continuation from `crc` (pass 0 to start).
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return trailmark_crc32c_extend(crc, base, bytes.count)
    }

    /// The CRC of an array of bytes, or its continuation from `crc`.
    public static func checksum(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// The portable table path, whatever the CPU (tests compare it with the default path).
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return trailmark_crc32c_extend_portable(crc, base, bytes.count)
    }
}
