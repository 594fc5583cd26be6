import NIOCore
import NIOEmbedded
import Testing
@testable import TrailmarkTransport

/// The server pipeline on an `EmbeddedChannel`: TLS records in, TLS records out, decoded by
/// an in-memory OpenSSL client and an nghttp2 client session. Only answers the transport
/// gives without running a handler task (routing errors), so everything is synchronous.
@Suite struct EmbeddedConnectionTests {
    /// Records what the in-memory client session hears.
    final class Recorder: NGHTTP2SessionDelegate {
        var headers: [Int32: [(String, String)]] = [:]
        var data: [Int32: [UInt8]] = [:]
        var closed: [Int32: UInt32] = [:]
        var goAway: UInt32?
        func session(beginHeaders streamID: Int32) -> NGHTTP2Session.CallbackResult { .ok }
        func session(header streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> NGHTTP2Session.CallbackResult {
            headers[streamID, default: []].append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            return .ok
        }
        func session(headersComplete streamID: Int32, endStream: Bool) {}
        func session(data streamID: Int32, bytes: UnsafeRawBufferPointer) -> NGHTTP2Session.CallbackResult {
            data[streamID, default: []].append(contentsOf: bytes)
            return .ok
        }
        func session(dataEndStream streamID: Int32) {}
        func session(streamClosed streamID: Int32, errorCode: UInt32) { closed[streamID] = errorCode }
        func session(readData streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2Session.DataRead {
            .bytes(count: 0, endOfBody: true, trailers: nil)
        }
        func session(goAway lastStreamID: Int32, errorCode: UInt32) { goAway = errorCode }
        func sessionControlFrameReceived() -> NGHTTP2Session.CallbackResult { .ok }

        func header(_ stream: Int32, _ name: String) -> String? { headers[stream]?.first { $0.0 == name }?.1 }
    }

    /// Moves bytes both ways until neither side has anything to send.
    private func shuttle(_ channel: EmbeddedChannel, _ client: TLSConnection, _ session: NGHTTP2Session?) throws {
        for _ in 0..<20 {
            var progressed = false
            if let session, client.handshakeComplete {
                var frames = ByteBuffer()
                _ = session.send(into: &frames, limitBytes: 1 << 20)
                if frames.readableBytes > 0 { _ = client.writePlaintext(frames) }
            }
            var toServer = ByteBuffer()
            client.drainCiphertext(into: &toServer)
            if toServer.readableBytes > 0 {
                try channel.writeInbound(toServer)
                progressed = true
            }
            channel.embeddedEventLoop.run()
            while let out = try channel.readOutbound(as: ByteBuffer.self) {
                client.receiveCiphertext(out)
                progressed = true
            }
            if !client.handshakeComplete {
                _ = client.handshake()
            } else {
                var plain = ByteBuffer()
                _ = client.readPlaintext(into: &plain)
                if plain.readableBytes > 0, let session { _ = session.receive(plain) }
            }
            if !progressed && !(session?.wantsWrite ?? false) { return }
        }
    }

    @Test func tlsRecordsInHTTP2FramesOut() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try DevelopmentCertificates.ensure(in: dir.path)
        let serverTLS = try TLSContext.server(certificateChainFile: files.certificateChainFile, privateKeyFile: files.privateKeyFile)
        var router = TransportRouter()
        router.register("/trailmark.v1.Echo/Unary", .unary { request, _ in request })
        let shared = ServerShared(router: router, limits: TransportLimits(), timeouts: TransportTimeouts(), logger: .init(label: "test"))

        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSHandler(connection: try TLSConnection(context: serverTLS), handshakeTimeout: nil))
        try channel.pipeline.syncOperations.addHandler(ALPNConfigurator(shared: shared))
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()

        let client = try TLSConnection(context: try TLSContext.client(caFile: files.caCertificateFile), serverName: "localhost")
        let recorder = Recorder()
        let session = try NGHTTP2Session(role: .client, settings: .init(), delegate: recorder)
        _ = client.handshake()
        try shuttle(channel, client, session)
        #expect(client.handshakeComplete)
        #expect(client.negotiatedProtocol == "h2")

        let unknown = session.submitRequest(headers: [":method": "POST", ":scheme": "https", ":authority": "localhost",
                                                      ":path": "/trailmark.v1.Echo/Nope", "content-type": "application/grpc+trailmark", "te": "trailers"], body: false)!
        let wrongType = session.submitRequest(headers: [":method": "POST", ":scheme": "https", ":authority": "localhost",
                                                        ":path": "/trailmark.v1.Echo/Unary", "content-type": "application/json"], body: false)!
        let noTE = session.submitRequest(headers: [":method": "POST", ":scheme": "https", ":authority": "localhost",
                                                   ":path": "/trailmark.v1.Echo/Unary", "content-type": "application/grpc+trailmark"], body: false)!
        let missing = session.submitRequest(headers: [":method": "GET", ":scheme": "https", ":authority": "localhost", ":path": "/nowhere"], body: false)!
        try shuttle(channel, client, session)

        // Trailers-only UNIMPLEMENTED for an unknown method.
        #expect(recorder.header(unknown, ":status") == "200")
        #expect(recorder.header(unknown, "grpc-status") == "12")
        #expect(recorder.header(unknown, "content-type") == "application/grpc+trailmark")
        // Trailers-only UNKNOWN for a call without te: trailers (as grpc servers answer it).
        #expect(recorder.header(noTE, ":status") == "200")
        #expect(recorder.header(noTE, "grpc-status") == "2")
        #expect(recorder.header(noTE, "grpc-message")?.contains("te") == true)
        // 415 for a non-gRPC content type on an RPC path; 404 for an unknown route.
        #expect(recorder.header(wrongType, ":status") == "415")
        #expect(recorder.header(missing, ":status") == "404")
        #expect(String(decoding: recorder.data[missing] ?? [], as: UTF8.self).contains("not_found"))
        #expect(recorder.closed.keys.sorted() == [unknown, wrongType, noTE, missing].sorted())
        _ = try? channel.finish()
    }

    @Test func badPrefaceClosesWithGoAway() throws {
        let shared = ServerShared(router: TransportRouter(), limits: TransportLimits(), timeouts: TransportTimeouts(), logger: .init(label: "test"))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP2ServerHandler(shared: shared))
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        _ = try channel.readOutbound(as: ByteBuffer.self)  // server SETTINGS
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(!channel.isActive)
    }
}
