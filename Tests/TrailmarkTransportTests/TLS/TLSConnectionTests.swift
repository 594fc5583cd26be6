import NIOCore
import Testing
@testable import TrailmarkTransport

/// Handshakes two in-memory `TLSConnection`s against each other with the generated dev CA.
@Suite struct TLSConnectionTests {
    /// Shuttles ciphertext between the two sides until neither has anything to send.
    private func handshake(_ client: TLSConnection, _ server: TLSConnection) -> (TLSConnection.HandshakeResult, TLSConnection.HandshakeResult) {
        var clientResult = client.handshake()
        var serverResult = TLSConnection.HandshakeResult.wantRead
        for _ in 0..<10 {
            var buffer = ByteBuffer()
            client.drainCiphertext(into: &buffer)
            if buffer.readableBytes > 0 { server.receiveCiphertext(buffer) }
            serverResult = server.handshake()
            buffer.clear()
            server.drainCiphertext(into: &buffer)
            if buffer.readableBytes > 0 { client.receiveCiphertext(buffer) }
            clientResult = client.handshake()
            if client.handshakeComplete && server.handshakeComplete { break }
            if case .failed = clientResult { break }
            if case .failed = serverResult { break }
        }
        return (clientResult, serverResult)
    }

    @Test func devCertificateVerifiesAndNegotiatesH2() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try DevelopmentCertificates.ensure(in: dir.path)
        let serverContext = try TLSContext.server(certificateChainFile: files.certificateChainFile, privateKeyFile: files.privateKeyFile)
        let clientContext = try TLSContext.client(caFile: files.caCertificateFile)
        for name in ["localhost", "127.0.0.1", "::1"] {
            let client = try TLSConnection(context: clientContext, serverName: name)
            let server = try TLSConnection(context: serverContext)
            _ = handshake(client, server)
            #expect(client.handshakeComplete, "verifying \(name)")
            #expect(server.handshakeComplete)
            #expect(client.negotiatedProtocol == "h2")
            #expect(server.negotiatedProtocol == "h2")
            #expect(client.protocolVersion == "TLSv1.3")

            // Application data both ways.
            #expect(client.writePlaintext(ByteBuffer(string: "ping")) == nil)
            var wire = ByteBuffer()
            client.drainCiphertext(into: &wire)
            server.receiveCiphertext(wire)
            var plain = ByteBuffer()
            _ = server.readPlaintext(into: &plain)
            #expect(plain.readString(length: plain.readableBytes) == "ping")
        }
        // A second call reuses the files instead of generating a new CA.
        let again = try DevelopmentCertificates.ensure(in: dir.path)
        let reloaded = try TLSContext.client(caFile: again.caCertificateFile)
        let client = try TLSConnection(context: reloaded, serverName: "localhost")
        _ = handshake(client, try TLSConnection(context: serverContext))
        #expect(client.handshakeComplete)
    }

    @Test func wrongNameAndUnknownCAAreRejected() throws {
        let dir = try TemporaryDirectory()
        let other = try TemporaryDirectory()
        defer { dir.remove(); other.remove() }
        let files = try DevelopmentCertificates.ensure(in: dir.path)
        let otherFiles = try DevelopmentCertificates.ensure(in: other.path)
        let serverContext = try TLSContext.server(certificateChainFile: files.certificateChainFile, privateKeyFile: files.privateKeyFile)

        let wrongName = try TLSConnection(context: try TLSContext.client(caFile: files.caCertificateFile), serverName: "example.com")
        let (result, _) = handshake(wrongName, try TLSConnection(context: serverContext))
        #expect(!wrongName.handshakeComplete)
        guard case .failed(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.code == .tls)

        let wrongCA = try TLSConnection(context: try TLSContext.client(caFile: otherFiles.caCertificateFile), serverName: "localhost")
        _ = handshake(wrongCA, try TLSConnection(context: serverContext))
        #expect(!wrongCA.handshakeComplete)

        let insecure = try TLSConnection(context: try TLSContext.client(verify: false), serverName: "example.com")
        _ = handshake(insecure, try TLSConnection(context: serverContext))
        #expect(insecure.handshakeComplete)
    }

    @Test func alpnFallsBackToHTTP1WhenClientOffersOnlyIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let files = try DevelopmentCertificates.ensure(in: dir.path)
        let serverContext = try TLSContext.server(certificateChainFile: files.certificateChainFile, privateKeyFile: files.privateKeyFile)
        let client = try TLSConnection(context: try TLSContext.client(caFile: files.caCertificateFile, alpn: ["http/1.1"]), serverName: "localhost")
        let server = try TLSConnection(context: serverContext)
        _ = handshake(client, server)
        #expect(server.negotiatedProtocol == "http/1.1")

        let unknown = try TLSConnection(context: try TLSContext.client(caFile: files.caCertificateFile, alpn: ["spdy/3"]), serverName: "localhost")
        _ = handshake(unknown, try TLSConnection(context: serverContext))
        #expect(!unknown.handshakeComplete)
    }
}
