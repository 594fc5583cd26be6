import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A development certificate authority and a server certificate for `localhost`,
/// `127.0.0.1` and `::1`, generated with OpenSSL's C API into `<data>/tls/` on first start and
/// reused afterwards, so `curl --cacert <data>/tls/ca.pem https://localhost:PORT/…` works.
///
/// Keys are ECDSA P-256; the CA is valid 10 years, the server certificate 825 days (the
/// longest lifetime Apple platforms accept). Private keys are written with mode 0600.
public struct DevelopmentCertificates: Sendable {
    /// PEM file of the CA certificate (give this to clients).
    public let caCertificateFile: String
    /// PEM file of the server certificate followed by the CA certificate.
    public let certificateChainFile: String
    /// PEM file of the server's private key.
    public let privateKeyFile: String

    /// The files under `dataDirectory/tls`, created when any is missing.
    public static func ensure(in dataDirectory: String) throws(TransportError) -> DevelopmentCertificates {
        let directory = dataDirectory + "/tls"
        let files = DevelopmentCertificates(
            caCertificateFile: directory + "/ca.pem",
            certificateChainFile: directory + "/server-chain.pem",
            privateKeyFile: directory + "/server-key.pem")
        if [files.caCertificateFile, files.certificateChainFile, files.privateKeyFile].allSatisfy({ (path: String) in Glibc.access(path, R_OK) == 0 }) {
            return files
        }
        for path in [dataDirectory, directory] where mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw TransportError(.io, "creating \(path): errno \(errno)")
        }
        try files.generate()
        return files
    }

    private func generate() throws(TransportError) {
        let caKey = try KeyPair.generate()
        let ca = try CertificateBuilder(subject: "Trailmark development CA", key: caKey, days: 3650)
        try ca.add(NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
        try ca.add(NID_key_usage, "critical,keyCertSign,cRLSign")
        try ca.add(NID_subject_key_identifier, "hash", issuer: ca)
        try ca.sign(issuer: ca, issuerKey: caKey)

        let serverKey = try KeyPair.generate()
        let server = try CertificateBuilder(subject: "localhost", key: serverKey, days: 825)
        try server.setIssuer(ca)
        try server.add(NID_basic_constraints, "critical,CA:FALSE")
        try server.add(NID_key_usage, "critical,digitalSignature")
        try server.add(NID_ext_key_usage, "serverAuth")
        try server.add(NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1")
        try server.add(NID_authority_key_identifier, "keyid:always", issuer: ca)
        try server.sign(issuer: ca, issuerKey: caKey)

        try PEMFile.write(caCertificateFile, mode: 0o644) { bio in PEM_write_bio_X509(bio, ca.x509) }
        try PEMFile.write(certificateChainFile, mode: 0o644) { bio in
            PEM_write_bio_X509(bio, server.x509) == 1 ? PEM_write_bio_X509(bio, ca.x509) : 0
        }
        try PEMFile.write(privateKeyFile, mode: 0o600) { bio in
            PEM_write_bio_PrivateKey(bio, serverKey.pointer, nil, nil, 0, nil, nil)
        }
    }
}

/// Owns one `EVP_PKEY` (freed once in `deinit`). Used on one thread during generation.
private final class KeyPair {
    let pointer: OpaquePointer
    private init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    static func generate() throws(TransportError) -> KeyPair {
        guard let key = tm_EVP_EC_gen_P256() else { throw OpenSSLErrors.error(.certificate, "generating a P-256 key") }
        return KeyPair(key)
    }
}

/// Owns one `X509` under construction (freed once in `deinit`).
private final class CertificateBuilder {
    let x509: OpaquePointer

    init(subject: String, key: KeyPair, days: Int) throws(TransportError) {
        guard let x509 = X509_new() else { throw OpenSSLErrors.error(.certificate, "X509_new") }
        self.x509 = x509
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else { throw OpenSSLErrors.error(.certificate, "RAND_bytes") }
        serial[0] &= 0x7f  // positive INTEGER (RFC 5280 §4.1.2.2)
        guard X509_set_version(x509, 2) == 1,  // v3
              let bn = BN_bin2bn(serial, Int32(serial.count), nil) else {
            throw OpenSSLErrors.error(.certificate, "setting version and serial")
        }
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil,
              X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), days * 86_400) != nil,
              X509_set_pubkey(x509, key.pointer) == 1 else {
            throw OpenSSLErrors.error(.certificate, "setting validity and key")
        }
        let name = X509_get_subject_name(x509)
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, subject, -1, -1, 0) == 1,
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, "Trailmark development", -1, -1, 0) == 1,
              X509_set_issuer_name(x509, name) == 1 else {
            throw OpenSSLErrors.error(.certificate, "setting subject")
        }
    }

    deinit { X509_free(x509) }

    func setIssuer(_ issuer: CertificateBuilder) throws(TransportError) {
        guard X509_set_issuer_name(x509, X509_get_subject_name(issuer.x509)) == 1 else {
            throw OpenSSLErrors.error(.certificate, "setting issuer")
        }
    }

    /// Adds an extension written in OpenSSL's config syntax (`x509v3_config(5)`).
    func add(_ nid: Int32, _ value: String, issuer: CertificateBuilder? = nil) throws(TransportError) {
        var ctx = X509V3_CTX()
        tm_X509V3_set_ctx_nodb(&ctx)
        X509V3_set_ctx(&ctx, (issuer ?? self).x509, x509, nil, nil, 0)
        guard let ext = X509V3_EXT_conf_nid(nil, &ctx, nid, value) else {
            throw OpenSSLErrors.error(.certificate, "building extension \(value)")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(x509, ext, -1) == 1 else { throw OpenSSLErrors.error(.certificate, "adding extension \(value)") }
    }

    func sign(issuer: CertificateBuilder, issuerKey: KeyPair) throws(TransportError) {
        _ = issuer
        guard X509_sign(x509, issuerKey.pointer, EVP_sha256()) > 0 else { throw OpenSSLErrors.error(.certificate, "signing") }
    }
}

/// Writes PEM output through a file BIO created with the requested permissions.
private enum PEMFile {
    static func write(_ path: String, mode: mode_t, _ body: (OpaquePointer) -> Int32) throws(TransportError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw TransportError(.io, "creating \(path): errno \(errno)") }
        guard let bio = BIO_new(BIO_s_mem()) else {
            close(fd)
            throw OpenSSLErrors.error(.certificate, "BIO_new")
        }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else {
            close(fd)
            throw OpenSSLErrors.error(.certificate, "writing PEM to \(path)")
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        var written = 0
        while written < length, let data {
            let rc = Glibc.write(fd, data + written, length - written)
            if rc <= 0 { break }
            written += rc
        }
        close(fd)
        guard written == length else { throw TransportError(.io, "writing \(path): short write") }
    }
}
