import COpenSSL

/// One configured OpenSSL `SSL_CTX`: protocol versions, ciphers, certificates, ALPN and
/// verification policy, shared by every connection created from it.
///
/// Ownership: owns exactly one `SSL_CTX` reference, freed in `deinit`. Each `TLSConnection`
/// keeps its context alive (strong reference), which keeps the ALPN callback's
/// `Unmanaged` argument valid for as long as any `SSL` made from it exists.
///
/// Policy (server): TLS 1.2 minimum, TLS 1.3 preferred (OpenSSL negotiates the highest),
/// AEAD-only TLS 1.2 suites with ECDHE, server cipher preference, no compression, no
/// renegotiation, stateless session tickets. ALPN: the server's order wins (`h2` first).
public final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is fully configured in `init` and only read afterwards
    // (SSL_new is thread-safe on a configured SSL_CTX per OpenSSL's threading docs).

    /// Which side of the handshake this context serves.
    public enum Role: Sendable { case server, client }

    let pointer: OpaquePointer
    public let role: Role
    /// ALPN protocols in preference order, and the same list in wire format (RFC 7301 §3.1).
    public let alpnProtocols: [String]
    let alpnWire: [UInt8]
    /// Whether a client verifies the server's certificate chain and name.
    public let verifiesPeer: Bool

    private static let tls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
        + "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"

    private init(role: Role, alpn: [String], verifiesPeer: Bool) throws(TransportError) {
        guard let ctx = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw OpenSSLErrors.error(.tls, "SSL_CTX_new")
        }
        self.pointer = ctx
        self.role = role
        self.alpnProtocols = alpn
        var wire: [UInt8] = []
        for name in alpn {
            precondition(!name.isEmpty && name.utf8.count < 256, "ALPN names are 1...255 bytes")
            wire.append(UInt8(name.utf8.count))
            wire.append(contentsOf: name.utf8)
        }
        self.alpnWire = wire
        self.verifiesPeer = verifiesPeer
        try configureCommon()
    }

    deinit { SSL_CTX_free(pointer) }

    /// A server context from a PEM certificate chain (leaf first) and a PEM private key.
    public static func server(certificateChainFile: String, privateKeyFile: String,
                              alpn: [String] = ["h2", "http/1.1"]) throws(TransportError) -> TLSContext {
        let context = try TLSContext(role: .server, alpn: alpn, verifiesPeer: false)
        guard SSL_CTX_use_certificate_chain_file(context.pointer, certificateChainFile) == 1 else {
            throw OpenSSLErrors.error(.certificate, "reading certificate chain \(certificateChainFile)")
        }
        guard SSL_CTX_use_PrivateKey_file(context.pointer, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            throw OpenSSLErrors.error(.certificate, "reading private key \(privateKeyFile)")
        }
        guard SSL_CTX_check_private_key(context.pointer) == 1 else {
            throw OpenSSLErrors.error(.certificate, "private key \(privateKeyFile) does not match \(certificateChainFile)")
        }
        try context.configureServer()
        return context
    }

    /// A client context. With `verify` (the default), the server's chain must lead to a CA in
    /// `caFile` (PEM) or, when `caFile` is nil, the system trust store; `verify: false` is the
    /// explicit `insecure` mode.
    public static func client(caFile: String? = nil, verify: Bool = true,
                              alpn: [String] = ["h2"]) throws(TransportError) -> TLSContext {
        let context = try TLSContext(role: .client, alpn: alpn, verifiesPeer: verify)
        if verify {
            SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)
            if let caFile {
                guard SSL_CTX_load_verify_locations(context.pointer, caFile, nil) == 1 else {
                    throw OpenSSLErrors.error(.certificate, "reading CA file \(caFile)")
                }
            } else if SSL_CTX_set_default_verify_paths(context.pointer) != 1 {
                throw OpenSSLErrors.error(.certificate, "loading the system trust store")
            }
        } else {
            SSL_CTX_set_verify(context.pointer, SSL_VERIFY_NONE, nil)
        }
        let status = context.alpnWire.withUnsafeBufferPointer {
            SSL_CTX_set_alpn_protos(context.pointer, $0.baseAddress, UInt32($0.count))
        }
        guard status == 0 else { throw OpenSSLErrors.error(.tls, "SSL_CTX_set_alpn_protos") }
        return context
    }

    private func configureCommon() throws(TransportError) {
        guard tm_SSL_CTX_set_min_proto_version(pointer, TLS1_2_VERSION) == 1 else {
            throw OpenSSLErrors.error(.tls, "setting TLS 1.2 minimum")
        }
        SSL_CTX_set_options(pointer, tm_SSL_OP_NO_COMPRESSION() | tm_SSL_OP_NO_RENEGOTIATION()
                            | tm_SSL_OP_NO_TLSv1_1_AND_OLDER())
        _ = tm_SSL_CTX_set_mode(pointer, tm_SSL_MODE_RELEASE_BUFFERS())
        guard SSL_CTX_set_cipher_list(pointer, Self.tls12Ciphers) == 1 else {
            throw OpenSSLErrors.error(.tls, "setting TLS 1.2 ciphers")
        }
        guard tm_SSL_CTX_set1_groups_list(pointer, "X25519:P-256:P-384") == 1 else {
            throw OpenSSLErrors.error(.tls, "setting key-exchange groups")
        }
    }

    private func configureServer() throws(TransportError) {
        SSL_CTX_set_options(pointer, tm_SSL_OP_CIPHER_SERVER_PREFERENCE())
        _ = tm_SSL_CTX_set_session_cache_mode(pointer, tm_SSL_SESS_CACHE_SERVER())
        let idContext: [UInt8] = Array("trailmark".utf8)
        _ = idContext.withUnsafeBufferPointer {
            SSL_CTX_set_session_id_context(pointer, $0.baseAddress, UInt32($0.count))
        }
        _ = SSL_CTX_set_num_tickets(pointer, 1)
        // The callback's `arg` is this object, unretained: every SSL made from this context
        // holds a strong reference to it (`TLSConnection.context`), so it outlives the handshake.
        SSL_CTX_set_alpn_select_cb(pointer, alpnSelectCallback, Unmanaged.passUnretained(self).toOpaque())
    }
}

/// ALPN selection (RFC 7301 §3.2): the first of the server's protocols the client also offers.
/// No overlap is a fatal `no_application_protocol` alert.
private let alpnSelectCallback: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
    UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
) -> Int32 = { _, out, outLength, clientList, clientLength, arg in
    guard let out, let outLength, let clientList, let arg else { return SSL_TLSEXT_ERR_ALERT_FATAL }
    let context = Unmanaged<TLSContext>.fromOpaque(arg).takeUnretainedValue()
    let client = UnsafeBufferPointer(start: clientList, count: Int(clientLength))
    return context.alpnWire.withUnsafeBufferPointer { server -> Int32 in
        var s = 0
        while s < server.count {
            let sLength = Int(server[s])
            var c = 0
            while c < client.count {
                let cLength = Int(client[c])
                if c + 1 + cLength > client.count { return SSL_TLSEXT_ERR_ALERT_FATAL }
                if cLength == sLength && client[(c + 1)..<(c + 1 + cLength)].elementsEqual(server[(s + 1)..<(s + 1 + sLength)]) {
                    // Points into the client's list, which OpenSSL keeps alive for the handshake.
                    out.pointee = clientList + c + 1
                    outLength.pointee = UInt8(cLength)
                    return SSL_TLSEXT_ERR_OK
                }
                c += 1 + cLength
            }
            s += 1 + sLength
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
}
