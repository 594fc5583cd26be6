import NIOCore
import NIOEmbedded
import Testing
@testable import TrailmarkTransport

/// `ConnectionDrainEvent` (what `TransportServer.shutdown()` sends every connection) on
/// plaintext pipelines: a connection that has sent nothing closes; one whose protocol is still
/// being sniffed gets the drain once HTTP/2 is installed; an HTTP/2 connection with no open
/// stream sends the shutdown notice and then at once (not after the second phase's 1 s timer)
/// the final GOAWAY naming the last processed stream, and closes.
///
/// The GOAWAYs are read from the server's raw output: an nghttp2 client session with no open
/// stream ignores every frame after the first GOAWAY, so it cannot see the final one.
@Suite struct DrainTests {
    private let shared = ServerShared(router: TransportRouter(), limits: TransportLimits(), timeouts: TransportTimeouts(),
                                      logger: .init(label: "test"))
    /// The shutdown notice's last-stream-id (RFC 9113 §6.8: 2^31-1).
    private static let notice = Int32.max

    private func connected(_ handler: some ChannelHandler) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// Moves frames both ways until neither side has anything more; returns what the server sent.
    @discardableResult
    private func shuttle(_ channel: EmbeddedChannel, _ session: NGHTTP2Session) throws -> ByteBuffer {
        var sent = ByteBuffer()
        for _ in 0..<20 {
            var progressed = false
            var frames = ByteBuffer()
            _ = session.send(into: &frames, limitBytes: 1 << 20)
            if frames.readableBytes > 0 && channel.isActive {
                try channel.writeInbound(frames)
                progressed = true
            }
            channel.embeddedEventLoop.run()
            while var out = try channel.readOutbound(as: ByteBuffer.self) {
                _ = session.receive(out)
                sent.writeBuffer(&out)
                progressed = true
            }
            if !progressed { return sent }
        }
        return sent
    }

    /// (last-stream-id, error code) of every GOAWAY frame in `bytes` (RFC 9113 §4.1, §6.8).
    private func goAways(in bytes: ByteBuffer) -> [(Int32, UInt32)] {
        var bytes = bytes
        var found: [(Int32, UInt32)] = []
        while let header = bytes.readBytes(length: 9) {  // length (24 bits), type, flags, stream id
            let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            guard var payload = bytes.readSlice(length: length) else { break }
            if header[3] == 0x7, let last = payload.readInteger(as: UInt32.self), let code = payload.readInteger(as: UInt32.self) {
                found.append((Int32(bitPattern: last & 0x7fff_ffff), code))
            }
        }
        return found
    }

    private func drain(_ channel: EmbeddedChannel) {
        channel.pipeline.fireUserInboundEventTriggered(ConnectionDrainEvent())
        channel.embeddedEventLoop.run()
    }

    @Test func aConnectionThatSentNothingCloses() throws {
        let channel = try connected(PlaintextSniffer(shared: shared))
        #expect(channel.isActive)
        drain(channel)
        #expect(!channel.isActive)
    }

    @Test func aDrainWhileSniffingReachesHTTP2() throws {
        let channel = try connected(PlaintextSniffer(shared: shared))
        let recorder = EmbeddedConnectionTests.Recorder()  // the session holds its delegate unowned
        let session = try NGHTTP2Session(role: .client, settings: .init(), delegate: recorder)
        var opening = ByteBuffer()
        _ = session.send(into: &opening, limitBytes: 1 << 20)  // preface, SETTINGS
        let firstBytes = opening.readSlice(length: 10)!  // 10 < the 24-byte preface, so present
        try channel.writeInbound(firstBytes)
        drain(channel)
        #expect(channel.isActive)  // bytes arrived: the protocol decides, not the sniffer
        try channel.writeInbound(opening)
        let sent = try shuttle(channel, session)
        #expect(goAways(in: sent).map(\.0) == [Self.notice, 0])  // no stream was processed
        #expect(goAways(in: sent).allSatisfy { $0.1 == 0 })  // NO_ERROR
        #expect(recorder.goAway == 0)
        #expect(!channel.isActive)
    }

    @Test func anIdleHTTP2ConnectionSendsTheFinalGoAwayAndCloses() throws {
        let channel = try connected(HTTP2ServerHandler(shared: shared))
        let recorder = EmbeddedConnectionTests.Recorder()
        let session = try NGHTTP2Session(role: .client, settings: .init(), delegate: recorder)
        try shuttle(channel, session)
        let stream = session.submitRequest(headers: [":method": "GET", ":scheme": "http", ":authority": "localhost",
                                                     ":path": "/nowhere"], body: false)!
        try shuttle(channel, session)
        #expect(recorder.header(stream, ":status") == "404")
        #expect(recorder.closed[stream] != nil)
        #expect(channel.isActive)

        drain(channel)
        let sent = try shuttle(channel, session)
        #expect(goAways(in: sent).map(\.0) == [Self.notice, stream])
        #expect(goAways(in: sent).allSatisfy { $0.1 == 0 })
        #expect(!channel.isActive)
    }
}
