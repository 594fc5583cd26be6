import Testing
import TrailmarkWire

/// SipHash against the published test vectors: SipHash-2-4 with the paper's key
/// 00 01 … 0f over the messages 00 01 … (n-1) (appendix A of the paper and the reference
/// implementation's `vectors.h`), and SipHash-1-3 with the all-zero key.
@Suite struct SipHashTests {
    static let paperKey = SipHash(key: Array(0...15))!

    /// `vectors[n]` for n = 0…16 and 63: every tail length 0–7, one and two full blocks.
    static let sip24Vectors: [Int: UInt64] = [
        0: 0x726f_db47_dd0e_0e31, 1: 0x74f8_39c5_93dc_67fd, 2: 0x0d6c_8009_d9a9_4f5a,
        3: 0x8567_6696_d7fb_7e2d, 4: 0xcf27_94e0_2771_87b7, 5: 0x1876_5564_cd99_a68d,
        6: 0xcbc9_466e_58fe_e3ce, 7: 0xab02_00f5_8b01_d137, 8: 0x93f5_f579_9a93_2462,
        9: 0x9e00_82df_0ba9_e4b0, 10: 0x7a5d_bbc5_94dd_b9f3, 11: 0xf4b3_2f46_226b_ada7,
        12: 0x751e_8fbc_860e_e5fb, 13: 0x14ea_5627_c084_3d90, 14: 0xf723_ca90_8e7a_f2ee,
        15: 0xa129_ca61_49be_45e5, 16: 0x3f2a_cc7f_57c2_9bdb, 63: 0x958a_324c_eb06_4572,
    ]

    @Test(arguments: sip24Vectors.keys.sorted())
    func sipHash24MatchesThePaper(length: Int) {
        let message = (0..<length).map { UInt8($0) }
        let h = message.withUnsafeBufferPointer { Self.paperKey.hash24($0) }
        #expect(h == Self.sip24Vectors[length], "length \(length)")
    }

    /// SipHash-1-3, zero key: the outputs other implementations print (as hex of the
    /// 64-bit value) for "" and "siphash".
    @Test func sipHash13MatchesKnownOutputs() {
        let zero = SipHash(k0: 0, k1: 0)
        #expect([UInt8]().withUnsafeBufferPointer { zero.hash13($0) } == 0xd1fb_a762_150c_532c)
        #expect(Array("siphash".utf8).withUnsafeBufferPointer { zero.hash13($0) } == 0x8264_ceec_cb16_bcbe)
    }

    @Test func keyBytesAreLittleEndianWords() {
        let k = SipHash(key: Array(0...15))!
        #expect(k.k0 == 0x0706_0504_0302_0100)
        #expect(k.k1 == 0x0f0e_0d0c_0b0a_0908)
        #expect(SipHash(key: Array(0...14)) == nil)
    }

    @Test func theKeyChangesTheOutput() {
        let bytes = Array("0190a3b4-1111-7abc-8def-0123456789ab".utf8)
        let a = bytes.withUnsafeBufferPointer { SipHash(k0: 1, k1: 2).hash13($0) }
        let b = bytes.withUnsafeBufferPointer { SipHash(k0: 1, k1: 3).hash13($0) }
        #expect(a != b)
    }
}
