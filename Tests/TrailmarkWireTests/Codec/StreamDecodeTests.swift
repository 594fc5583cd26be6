import Testing
import TrailmarkWire

/// Framed messages decode the same whether the byte stream arrives all at once, one byte
/// at a time or in random chunks (NIO's ByteToMessageDecoderVerifier idea).
@Suite struct StreamDecodeTests {
    private func bodies(_ stream: [UInt8], chunks: [Int]) throws -> [[UInt8]] {
        var deframer = MessageDeframer()
        var out: [[UInt8]] = []
        var offset = 0
        var i = 0
        while offset < stream.count {
            let size = min(chunks[i % chunks.count], stream.count - offset)
            deframer.append(stream[offset ..< offset + size])
            offset += size
            i += 1
            while let body = try deframer.next() { out.append(body) }
        }
        #expect(deframer.isAtMessageBoundary)
        return out
    }

    @Test(arguments: 0 ..< 20 as Range<UInt64>)
    func byteByByteAllAtOnceAndChunkedAgree(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let batches = (0 ..< 4).map { _ in EventBatch(events: rng.events(max: 30), sentAt: rng.optional { $0.int64() }, batchID: rng.optional { $0.uint64() }) }
        var stream: [UInt8] = []
        for b in batches { stream += b.framed() }

        let chunkings: [[Int]] = [[stream.count], [1], (0 ..< 16).map { _ in rng.int(1 ... 97) }]
        for chunks in chunkings {
            let decoded = try bodies(stream, chunks: chunks).map { try EventBatch(decoding: $0) }
            #expect(decoded == batches, "seed \(seed), chunks \(chunks.prefix(3))")
        }
    }

    @Test func deframerDecodesTypedMessages() throws {
        var deframer = MessageDeframer()
        deframer.append(BatchAck(accepted: 3, duplicates: 1).framed() + BatchAck(batchID: 9, accepted: 0, duplicates: 0).framed())
        #expect(try deframer.next(BatchAck.self) == BatchAck(accepted: 3, duplicates: 1))
        #expect(try deframer.next(BatchAck.self) == BatchAck(batchID: 9, accepted: 0, duplicates: 0))
        #expect(try deframer.next(BatchAck.self) == nil)
        deframer.append(MessageFraming.framed([0x08, 0x02]))  // field 1 (batch_id), varint 2
        deframer.append(MessageFraming.framed([0x0A]))
        #expect(try deframer.next(BatchAck.self) == BatchAck(batchID: 2, accepted: 0, duplicates: 0))
        #expect(throws: WireError.self) { try deframer.next(BatchAck.self) }
    }

    @Test func framedEntryPointRejectsShortLongAndCompressedFrames() throws {
        let framed = EventBatch(events: [VectorSamples.signup]).framed()
        #expect(try EventBatch(framed: framed).events == [VectorSamples.signup])
        for (bytes, code) in [(Array(framed.dropLast()), WireError.Code.truncated), (Array(framed.prefix(3)), .truncated),
                              (framed + [0], .invalidValue), ([1] + framed.dropFirst(), .compressedMessage)] {
            #expect(throws: WireError.self) { try EventBatch(framed: bytes) }
            do { _ = try EventBatch(framed: bytes) } catch { #expect(error.code == code) }
        }
        var small = WireLimits()
        small.messageBytesMax = 8
        do { _ = try EventBatch(framed: framed, limits: small); Issue.record("expected messageTooLarge") } catch {
            #expect(error.code == .messageTooLarge)
            #expect(error.statusCode == .resourceExhausted)
        }
    }

    @Test func everyPrefixOfEveryVectorFailsCleanlyOrDecodes() {
        for (stem, type, message) in VectorSamples.all {
            let bytes = message.encoded()
            guard let messageType = WireMessageCatalog.type(named: type) else { Issue.record("no type \(type)"); continue }
            for cut in 0 ..< bytes.count {
                let prefix = Array(bytes[..<cut])
                // A prefix ending on a field boundary is itself a valid (smaller) message;
                // any other prefix must be rejected with a typed error, never crash.
                let stable = prefix.withUnsafeBytes { WireMessageCatalog.decodeReencodeIsStable($0, as: messageType) }
                #expect(stable, "\(stem) prefix \(cut)")
            }
        }
    }
}
