import COpenSSL
import NIOCore

/// One TLS session: an OpenSSL `SSL` and its two memory BIOs (ciphertext in, ciphertext out).
///
/// Ownership: owns one `SSL`; `SSL_set_bio` hands both BIOs to it, so the single `SSL_free`
/// in `deinit` frees all three exactly once. Holds its `TLSContext` strongly (see there).
///
/// Threading: not Sendable; used only by the `TLSHandler` of one channel, on its event loop.
///
/// The read BIO is set to return -1 when empty (`BIO_set_mem_eof_return`), so an empty
/// buffer means "want read", never EOF. Callers drain the write BIO after every SSL call:
/// TLS 1.3 sends session tickets after the handshake and alerts at any time.
final class TLSConnection {
    let context: TLSContext
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    // Unchecked exclusivity: a plain flag touched by one thread, never passed inout.
    @exclusivity(unchecked) private(set) var handshakeComplete = false

    /// Result of feeding the handshake.
    enum HandshakeResult { case complete, wantRead, failed(TransportError) }
    /// Result of a read of decrypted bytes.
    enum ReadResult { case wantRead, closed, failed(TransportError) }

    init(context: TLSContext, serverName: String? = nil) throws(TransportError) {
        self.context = context
        guard let ssl = SSL_new(context.pointer) else { throw OpenSSLErrors.error(.tls, "SSL_new") }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw OpenSSLErrors.error(.tls, "BIO_new")
        }
        _ = tm_BIO_set_mem_eof_return(rbio, -1)
        _ = tm_BIO_set_mem_eof_return(wbio, -1)
        SSL_set_bio(ssl, rbio, wbio)
        self.ssl = ssl
        self.readBIO = rbio
        self.writeBIO = wbio
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName { try configureClient(serverName: serverName) }
        }
    }

    deinit { SSL_free(ssl) }

    private func configureClient(serverName: String) throws(TransportError) {
        let isIPAddress = serverName.contains(":") || serverName.allSatisfy { $0.isNumber || $0 == "." }
        if !isIPAddress { _ = tm_SSL_set_tlsext_host_name(ssl, serverName) }
        guard context.verifiesPeer else { return }
        let ok: Int32 = isIPAddress
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
            : SSL_set1_host(ssl, serverName)
        guard ok == 1 else { throw OpenSSLErrors.error(.certificate, "setting the expected server name \(serverName)") }
    }

    /// The protocol ALPN selected, or nil when none was negotiated.
    var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The negotiated protocol version, e.g. "TLSv1.3".
    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Appends received ciphertext to the read BIO (copies; the BIO grows as needed but only
    /// by what one socket read delivered, which the caller consumes before the next read).
    func receiveCiphertext(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = BIO_write(readBIO, base, Int32(raw.count))
        }
    }

    /// Advances the handshake with the ciphertext received so far.
    func handshake() -> HandshakeResult {
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            handshakeComplete = true
            return .complete
        }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        default:
            var reason = OpenSSLErrors.drain(fallback: "handshake failed")
            if context.role == .client && context.verifiesPeer {
                let verify = SSL_get_verify_result(ssl)
                if verify != X509_V_OK { reason += " (certificate verify: \(String(cString: X509_verify_cert_error_string(verify))))" }
            }
            return .failed(TransportError(.tls, reason))
        }
    }

    /// Decrypts whatever complete records are buffered, appending plaintext to `output`.
    func readPlaintext(into output: inout ByteBuffer) -> ReadResult {
        while true {
            // Plaintext is never longer than the ciphertext it comes from: size the buffer by
            // what is buffered (plus what OpenSSL holds decrypted), so a small read burst
            // takes a small allocation instead of 16 KiB (records up to 16 KiB loop here).
            let buffered = Int(tm_BIO_pending(readBIO)) + Int(SSL_pending(ssl))
            let room = max(1024, min(16 << 10, buffered))
            var rc: Int32 = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { raw in
                rc = SSL_read(ssl, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
                return rc > 0 ? Int(rc) : 0
            }
            if rc > 0 { continue }
            switch SSL_get_error(ssl, rc) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
            case SSL_ERROR_ZERO_RETURN: return .closed
            default: return .failed(OpenSSLErrors.error(.tls, "SSL_read"))
            }
        }
    }

    /// Encrypts all of `plaintext` into the write BIO (a memory BIO never blocks, so a
    /// successful `SSL_write` consumes everything).
    func writePlaintext(_ plaintext: ByteBuffer) -> TransportError? {
        var failure: TransportError?
        plaintext.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            var offset = 0
            while offset < raw.count {
                let chunk = Int32(min(raw.count - offset, 1 << 30))
                let rc = SSL_write(ssl, base + offset, chunk)
                guard rc > 0 else {
                    failure = OpenSSLErrors.error(.tls, "SSL_write")
                    return
                }
                offset += Int(rc)
            }
        }
        return failure
    }

    /// Bytes of ciphertext waiting in the write BIO.
    var pendingCiphertextBytes: Int { Int(tm_BIO_pending(writeBIO)) }

    /// Moves all pending ciphertext from the write BIO into `output`.
    func drainCiphertext(into output: inout ByteBuffer) {
        var pending = pendingCiphertextBytes
        guard pending > 0 else { return }
        output.reserveCapacity(minimumWritableBytes: pending)
        while pending > 0 {
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { raw in
                let rc = BIO_read(writeBIO, raw.baseAddress, Int32(min(raw.count, Int(Int32.max))))
                return rc > 0 ? Int(rc) : 0
            }
            pending = pendingCiphertextBytes
        }
    }

    /// Queues a close_notify alert (RFC 8446 §6.1); the caller drains and sends it.
    func shutdown() {
        if handshakeComplete { _ = SSL_shutdown(ssl) }
        ERR_clear_error()
    }
}
