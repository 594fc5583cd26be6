import Testing
@testable import TrailmarkWire

@Suite struct MessageFramingTests {
    @Test func roundTripsAllAtOnceAndByteByByte() throws {
        let bodies: [[UInt8]] = [[], [1], Array(repeating: 0xAB, count: 70_000)]
        var stream: [UInt8] = []
        for b in bodies { MessageFraming.frame(b, into: &stream) }

        var whole = MessageDeframer()
        whole.append(stream)
        var got: [[UInt8]] = []
        while let m = try whole.next() { got.append(m) }
        #expect(got == bodies)
        #expect(whole.isAtMessageBoundary)

        var trickle = MessageDeframer()
        got = []
        for byte in stream {
            trickle.append([byte])
            while let m = try trickle.next() { got.append(m) }
        }
        #expect(got == bodies)
    }

    @Test func rejectsOversizeBeforeBufferingBody() {
        var d = MessageDeframer(messageBytesMax: 10)
        d.append([0, 0, 0, 0, 11])
        #expect(throws: WireError.self) { try d.next() }
        do { _ = try d.next() } catch {
            #expect(error.code == .messageTooLarge)
            #expect(error.message.contains("11") && error.message.contains("10"))
            #expect(error.statusCode == .resourceExhausted)
        }
    }

    @Test func rejectsCompressedAndBadFlags() {
        var d = MessageDeframer()
        d.append([1, 0, 0, 0, 0])
        do { _ = try d.next(); Issue.record("expected an error") } catch { #expect(error.code == .compressedMessage) }
        var e = MessageDeframer()
        e.append([2, 0, 0, 0, 0])
        do { _ = try e.next(); Issue.record("expected an error") } catch { #expect(error.code == .invalidValue) }
    }

    @Test func partialPrefixNeedsMoreData() throws {
        var d = MessageDeframer()
        d.append([0, 0, 0])
        #expect(try d.next() == nil)
        d.append([0, 2, 9])
        #expect(try d.next() == nil)
        d.append([8])
        #expect(try d.next() == [9, 8])
    }
}
