import Testing
import TrailmarkWire

/// `Identify.received_at` (field 6, optional sint64): the server's receive time of an
/// identify, stored in identify log records; records written before it decode without it.
@Suite struct IdentifyReceivedAtTests {
    static let t0: Int64 = 1_767_225_600_000_000

    @Test(arguments: [Self.t0 + 250_000, 0, -1, Int64.min, Int64.max])
    func receivedAtRoundTripsAsField6(receivedAt: Int64) throws {
        let identify = Identify(anonymousID: "a", userID: "u", timestamp: Self.t0, receivedAt: receivedAt)
        let bytes = identify.encoded()
        var tail = WireWriter()
        tail.writeSInt64(6, receivedAt)  // written even when 0: the field is optional
        #expect(Array(bytes.suffix(tail.bytes.count)) == tail.bytes)
        #expect(try Identify(decoding: bytes) == identify)
        let stored = StoredIdentifyBatch(project: "p", identifies: [identify, Identify(anonymousID: "b", userID: "v")])
        let decoded = try StoredIdentifyBatch(decoding: stored.encoded(), limits: .logRecords)
        #expect(decoded.identifies.map(\.receivedAt) == [receivedAt, nil])
    }

    /// `Proto/vectors/StoredIdentifyBatch.bin` as it was before field 6 existed: an identify
    /// record already on disk.
    static let recordBeforeReceivedAt: [UInt8] = [
        0x0A, 0x06, 0x70, 0x72, 0x6F, 0x6A, 0x5F, 0x31, 0x12, 0x28, 0x0A, 0x06, 0x61, 0x2D, 0x37, 0x66,
        0x33, 0x65, 0x12, 0x07, 0x75, 0x73, 0x65, 0x72, 0x2D, 0x34, 0x32, 0x1A, 0x07, 0x0A, 0x03, 0x76,
        0x69, 0x70, 0x28, 0x01, 0x20, 0x80, 0x80, 0x82, 0xE2, 0x88, 0xD2, 0xA3, 0x06, 0x28, 0x80, 0x80,
        0xC0, 0x04,
    ]

    @Test func recordWrittenBeforeTheFieldDecodesWithoutIt() throws {
        let decoded = try StoredIdentifyBatch(decoding: Self.recordBeforeReceivedAt, limits: .logRecords)
        let expected = Identify(anonymousID: "a-7f3e", userID: "user-42", traits: ["vip": .bool(true)], timestamp: Self.t0, seq: 9 << 20)
        #expect(decoded == StoredIdentifyBatch(project: "proj_1", identifies: [expected]))
        #expect(decoded.identifies[0].receivedAt == nil)
        #expect(decoded.encoded() == Self.recordBeforeReceivedAt)  // absent stays absent
    }

    @Test func receivedAtWithTheWrongWireTypeNamesTheField() {
        let record = Craft.message { w in
            w.writeMessage(2) { i in
                i.writeString(1, "a")
                i.writeString(2, "u")
                i.writeString(6, "x")
            }
        }
        expectWireError(StoredIdentifyBatch.self, record, .wrongWireType, field: "identifies[0].received_at")
    }
}
