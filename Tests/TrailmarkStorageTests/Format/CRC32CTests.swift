import Testing
@testable import TrailmarkStorage

@Suite struct CRC32CTests {
    /// RFC 3720 §B.4 (iSCSI) CRC32C examples, plus the common "123456789" check value.
    static let vectors: [(name: String, bytes: [UInt8], crc: UInt32)] = [
        ("32 bytes of zeros", [UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ("32 bytes of 0xFF", [UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ("32 incrementing bytes", (0..<32).map { UInt8($0) }, 0x46DD_794E),
        ("32 decrementing bytes", (0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        ("iSCSI read command PDU", [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ], 0xD996_3A56),
        ("check value 123456789", Array("123456789".utf8), 0xE306_9283),
    ]

    @Test(arguments: 0..<vectors.count)
    func rfc3720Vectors(index: Int) {
        let vector = Self.vectors[index]
        #expect(CRC32C.checksum(vector.bytes) == vector.crc, "\(vector.name)")
        vector.bytes.withUnsafeBytes { bytes in
            #expect(CRC32C.portableChecksum(bytes) == vector.crc, "\(vector.name) (table path)")
        }
    }

    @Test func emptyInputKeepsTheRunningValue() {
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([], continuing: 0x1234_5678) == 0x1234_5678)
    }

    @Test func continuationEqualsOneShot() {
        let bytes = payload(tag: 42, bytes: 1000)
        for split in [0, 1, 7, 8, 9, 63, 500, 999, 1000] {
            let first = CRC32C.checksum(Array(bytes[..<split]))
            #expect(CRC32C.checksum(Array(bytes[split...]), continuing: first) == CRC32C.checksum(bytes), "split at \(split)")
        }
    }

    /// Both paths agree at every length 0...300 and every start alignment 0...7.
    @Test func hardwareAndTablePathsAgree() {
        let bytes = payload(tag: 7, bytes: 320)
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for length in 0...300 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice))
                }
            }
        }
    }

    /// Long inputs take the interleaved hardware path (three streams of 4096 and of 256 bytes,
    /// combined by shift tables): it agrees with the table path around every block boundary,
    /// at every start alignment, and when continued from a previous CRC.
    @Test func interleavedPathAgreesWithTablePath() {
        let bytes = payload(tag: 9, bytes: 40_008)
        let lengths = [767, 768, 769, 775, 1044, 3 * 256 * 2 + 5, 3 * 4096 - 1, 3 * 4096, 3 * 4096 + 8, 3 * 4096 + 777, 40_000]
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for length in lengths {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice), "length \(length) at +\(start)")
                }
            }
            let head = UnsafeRawBufferPointer(rebasing: all[0..<5000])
            let tail = UnsafeRawBufferPointer(rebasing: all[5000..<40_000])
            let whole = UnsafeRawBufferPointer(rebasing: all[0..<40_000])
            #expect(CRC32C.checksum(tail, continuing: CRC32C.checksum(head)) == CRC32C.portableChecksum(whole))
        }
    }
}
