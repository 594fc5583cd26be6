import Testing
import TrailmarkWire

/// Every malformed case yields a typed `WireError` naming the field (Proto/WIRE.md § 8).
@Suite struct MalformedInputTests {
    @Test func craftedBatchIsValidBaseline() throws {
        #expect(try EventBatch(decoding: Craft.batch()).events == [Event(event: "a", anonymousID: "a")])
    }

    @Test func truncatedInsideValues() {
        let full = EventBatch(events: [VectorSamples.pageview], sentAt: 5).encoded()
        expectWireError(EventBatch.self, Array(full.prefix(3)), .truncated, field: "events")
        expectWireError(ForgetRequest.self, [0x0A, 0x05, 0x61], .truncated, field: "user_id")
        expectWireError(EventBatch.self, [0x10], .truncated, field: "sent_at")
        expectWireError(EventBatch.self, [0x10, 0x80], .truncated, field: "sent_at")
        expectWireError(FunnelResult.self, [0x0A, 0x02, 0x1A, 0x05], .truncated, field: "groups[0].steps[0]")
        // A column shorter than the event count: the missing entry is named.
        expectWireError(EventBatch.self, Craft.batch(count: 2, columns: [(3, [0, 0]), (4, [0, 0]), (5, [1])]), .truncated, field: "events[1].user_id")
    }

    @Test func hugeAndOverlongVarints() throws {
        let eleven = [UInt8](repeating: 0xFF, count: 10) + [0x01]
        expectWireError(EventBatch.self, [0x10] + eleven, .malformedVarint, field: "sent_at")
        let overflow = [UInt8](repeating: 0xFF, count: 9) + [0x02]
        expectWireError(EventBatch.self, [0x18] + overflow, .malformedVarint, field: "batch_id")
        expectWireError(EventBatch.self, [0x18, 0x80, 0x00], .malformedVarint, field: "batch_id")
        #expect(try EventBatch(decoding: [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01]).batchID == .max)
        // A length of 2^63 is refused before anything is read or reserved.
        expectWireError(ForgetRequest.self, [0x0A] + [UInt8](repeating: 0xFF, count: 8) + [0x7F], .truncated, field: "user_id")
        expectWireError(EventBatch.self, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02], .malformedVarint, field: "")
    }

    @Test func wrongAndUndefinedWireTypes() {
        expectWireError(EventBatch.self, [0x12, 0x00], .wrongWireType, field: "sent_at")
        expectWireError(EventBatch.self, [0x08, 0x00], .wrongWireType, field: "events")
        expectWireError(ForgetRequest.self, [0x08, 0x01], .wrongWireType, field: "user_id")
        expectWireError(FunnelResult.self, [0x0A, 0x03, 0x1A, 0x01, 0x11], .wrongWireType, field: "groups[0].steps[0].reached")
        expectWireError(EventBatch.self, Craft.batch(extra: { $0.writeUInt64(3, 0) }), .wrongWireType, field: "events.name")
        expectWireError(HealthRequest.self, [0x0B], .wrongWireType, field: "")  // wire type 3 cannot be skipped
        expectWireError(HealthRequest.self, [0x00], .invalidValue, field: "")  // field number 0
    }

    @Test func invalidUTF8() {
        expectWireError(ForgetRequest.self, [0x0A, 0x02, 0xC3, 0x28], .invalidUTF8, field: "user_id")
        expectWireError(ForgetRequest.self, [0x0A, 0x01, 0xFF], .invalidUTF8, field: "user_id")
        expectWireError(ForgetRequest.self, [0x0A, 0x03, 0xED, 0xA0, 0x80], .invalidUTF8, field: "user_id")  // surrogate
        expectWireError(EventBatch.self, Craft.batch(rawDictionary: [0x02, 0xC0, 0xAF]), .invalidUTF8, field: "events.dictionary[0]")
        let traits = Craft.message { w in
            w.writeMessage(1) { w in w.writeMessage(3) { w in w.writeBytes(1, [0x80]); w.writeBool(5, true) } }
        }
        expectWireError(IdentifyBatch.self, traits, .invalidUTF8, field: "identifies[0].traits[0].key")
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        let batch = EventBatch(events: [VectorSamples.pageview, VectorSamples.signup], sentAt: 9, batchID: 1)
        func unknowns(_ w: inout WireWriter) {
            w.writeUInt64(900, 7)
            w.writeDouble(901, 1.5)
            w.writeString(902, "future")
            w.appendTag(903, .fixed32)
            w.appendBytes([1, 2, 3, 4])
            w.writeMessage(904) { w in w.writeUInt64(1, 1) }
        }
        var w = WireWriter()
        unknowns(&w)
        w.writeMessage(1) { w in
            unknowns(&w)
            EventColumnsProbe.encode(batch.events, into: &w)
            unknowns(&w)
        }
        unknowns(&w)
        w.writeSInt64(2, 9)
        w.writeUInt64(3, 1)
        #expect(try EventBatch(decoding: w.bytes) == batch)
        // Fields out of order and repeated scalars (last wins) are accepted too.
        #expect(try EventBatch(decoding: [0x18, 0x05, 0x10, 0x02, 0x18, 0x01]) == EventBatch(events: [], sentAt: 1, batchID: 1))
    }

    @Test func duplicatePropertyKeys() {
        let keys = Craft.varints([1, 1])
        let values: [UInt8] = [0, 0]  // two nulls
        expectWireError(EventBatch.self, Craft.batch(dictionary: ["a", "plan"], columns: [(3, [0]), (4, [0]), (13, [2]), (14, keys), (15, values)]),
                        .invalidValue, field: "events[0].properties.plan")
        // The same key under two dictionary indices (a non-canonical dictionary) is still a duplicate.
        expectWireError(EventBatch.self, Craft.batch(dictionary: ["a", "plan", "plan"], columns: [(3, [0]), (4, [0]), (13, [2]), (14, [1, 2]), (15, values)]),
                        .invalidValue, field: "events[0].properties.plan")
        // The same key on two different events is fine.
        let two = Craft.batch(dictionary: ["a", "plan"], count: 2, columns: [(3, [0, 0]), (4, [0, 0]), (13, [1, 1]), (14, keys), (15, values)])
        #expect((try? EventBatch(decoding: two))?.events.map(\.properties) == [["plan": .null], ["plan": .null]])
        let traits = Craft.message { w in
            w.writeMessage(1) { w in
                w.writeMessage(3) { w in w.writeString(1, "k"); w.writeBool(5, true) }
                w.writeMessage(3) { w in w.writeString(1, "k"); w.writeBool(6, true) }
            }
        }
        expectWireError(IdentifyBatch.self, traits, .invalidValue, field: "identifies[0].traits[1].key")
    }

    @Test func dictionaryIndexOutOfRange() {
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [1]), (4, [0])]), .invalidValue, field: "events[0].event")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (8, [2])]), .invalidValue, field: "events[0].session_id")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (13, [1]), (14, [0]), (15, [5, 9])]), .invalidValue, field: "events[0].properties")
        expectWireError(EventBatch.self, Craft.batch(dictionary: [], columns: [(3, [0]), (4, [0])]), .invalidValue, field: "events[0].event")
    }

    @Test func malformedColumns() {
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0])]), .missingField, field: "events.anonymous_id")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0, 0]), (4, [0])]), .invalidValue, field: "events.name")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (6, [2]), (7, [0x01, 0x00])]), .invalidValue, field: "events.timestamp_present")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (6, [2]), (7, [0x03])]), .invalidValue, field: "events.timestamp_present")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (7, [0x01])]), .truncated, field: "events[0].timestamp")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (13, [1]), (14, [0]), (15, [6])]), .invalidValue, field: "events[0].properties.a")
        expectWireError(EventBatch.self, Craft.batch(columns: [(3, [0]), (4, [0]), (18, [1]), (19, [0]), (21, [0]), (22, [3])]), .invalidValue, field: "events[0].source_confidence")
        // Absent optional columns mean "absent for every event"; a present bitmap selects.
        let selected = Craft.batch(count: 3, columns: [(3, [0, 0, 0]), (4, [0, 0, 0]), (6, Craft.varints([20, 2])), (7, [0b101])])
        #expect((try? EventBatch(decoding: selected))?.events.map(\.timestamp) == [10, nil, 11])
    }

    @Test func invalidScalarValues() {
        expectWireError(FunnelQuery.self, [0x30, 0x02], .invalidValue, field: "strict")
        expectWireError(HealthResponse.self, [0x08, 0x09], .invalidValue, field: "status")
        expectWireError(IdentifyAck.self, Craft.message { $0.writeUInt64(1, 1 << 32) }, .invalidValue, field: "accepted")
        expectWireError(FunnelQuery.self, [0x58, 0x00], .invalidValue, field: "breakdown_first_touch")
        let noValue = Craft.message { w in w.writeMessage(1) { w in w.writeMessage(3) { w in w.writeString(1, "k") } } }
        expectWireError(IdentifyBatch.self, noValue, .missingField, field: "identifies[0].traits[0]")
    }
}

/// Encodes an event block's fields through the public API (an `EventBatch`'s field 1 body).
enum EventColumnsProbe {
    static func encode(_ events: [Event], into w: inout WireWriter) {
        let whole = EventBatch(events: events).encoded()
        // Field 1's tag is one byte, its length a varint: copy the body after both.
        var r = 1
        while whole[r] & 0x80 != 0 { r += 1 }
        w.appendBytes(Array(whole[(r + 1)...]))
    }
}
