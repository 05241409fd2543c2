import COpenSSL

/// A PEM certificate and its private key.
public struct PEMIdentity: Hashable, Sendable {
    public var certificatePEM: String
    public var privateKeyPEM: String
}

/// The material `--tls` makes at first start when no certificate is given (api.md §1.1): a local CA and
/// a server certificate it signed, so a client can trust the CA once (`GET /v1/certificates/external/ca`).
public struct LocalCertificateAuthority: Hashable, Sendable {
    public var authority: PEMIdentity
    public var server: PEMIdentity

    /// Makes a P-256 CA valid for `days` and a server certificate for `hostNames` (DNS names or IP
    /// literals), signed by it with SHA-256.
    public static func generate(commonName: String, hostNames: [String], days: Int = 825) throws -> LocalCertificateAuthority {
        let caKey = try ECKey.generate()
        let caName = try X509Name(commonName: "\(commonName) local CA")
        let ca = try CertificateBuilder(subject: caName, issuer: caName, publicKey: caKey, days: days)
        try ca.addExtension(NID_basic_constraints, "critical,CA:TRUE")
        try ca.addExtension(NID_key_usage, "critical,keyCertSign,cRLSign")
        try ca.addExtension(NID_subject_key_identifier, "hash")
        try ca.sign(with: caKey)

        let serverKey = try ECKey.generate()
        let serverName = try X509Name(commonName: hostNames.first ?? commonName)
        let server = try CertificateBuilder(subject: serverName, issuer: caName, publicKey: serverKey, days: days, issuerCertificate: ca)
        try server.addExtension(NID_basic_constraints, "critical,CA:FALSE")
        try server.addExtension(NID_key_usage, "critical,digitalSignature,keyEncipherment")
        try server.addExtension(NID_ext_key_usage, "serverAuth")
        let alternativeNames = hostNames.map { Self.isIPAddress($0) ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        if !alternativeNames.isEmpty { try server.addExtension(NID_subject_alt_name, alternativeNames) }
        try server.sign(with: caKey)

        return LocalCertificateAuthority(
            authority: PEMIdentity(certificatePEM: try ca.pem(), privateKeyPEM: try caKey.privateKeyPEM()),
            server: PEMIdentity(certificatePEM: try server.pem(), privateKeyPEM: try serverKey.privateKeyPEM()))
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }
}

/// An owned EVP_PKEY holding a fresh P-256 key.
final class ECKey {
    let key: OpaquePointer

    private init(_ key: OpaquePointer) { self.key = key }
    deinit { EVP_PKEY_free(key) }

    static func generate() throws -> ECKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw CryptoError.openSSL("EVP_PKEY_keygen_init") }
        guard EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else { throw CryptoError.openSSL("EVP_PKEY_CTX_set_group_name") }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw CryptoError.openSSL("EVP_PKEY_generate") }
        return ECKey(key)
    }

    func privateKeyPEM() throws -> String {
        try MemoryBIO.write("PEM_write_bio_PrivateKey") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }
}

/// An owned X509_NAME with one CN entry.
final class X509Name {
    let name: OpaquePointer

    init(commonName: String) throws {
        guard let name = X509_NAME_new() else { throw CryptoError.openSSL("X509_NAME_new") }
        self.name = name
        let added = commonName.withCString { value in
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), -1, -1, 0)
        }
        guard added == 1 else { throw CryptoError.openSSL("X509_NAME_add_entry_by_txt") }
    }

    deinit { X509_NAME_free(name) }
}

/// An X509 being filled in and signed.
final class CertificateBuilder {
    let certificate: OpaquePointer
    /// The certificate of the issuer (nil: self-signed), for the authority key identifier.
    private let issuerCertificate: CertificateBuilder?

    init(subject: X509Name, issuer: X509Name, publicKey: ECKey, days: Int, issuerCertificate: CertificateBuilder? = nil) throws {
        guard let certificate = X509_new() else { throw CryptoError.openSSL("X509_new") }
        self.certificate = certificate
        self.issuerCertificate = issuerCertificate
        guard X509_set_version(certificate, 2) == 1 else { throw CryptoError.openSSL("X509_set_version") }
        // A random positive 127-bit serial, as CAs must not reuse serials.
        var serialBytes = SecureRandom.bytes(count: 16)
        serialBytes[0] &= 0x7F
        guard let serial = BN_bin2bn(serialBytes, Int32(serialBytes.count), nil) else { throw CryptoError.openSSL("BN_bin2bn") }
        defer { BN_free(serial) }
        guard BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate)) != nil else { throw CryptoError.openSSL("BN_to_ASN1_INTEGER") }
        // Valid from an hour ago, so a client with a slightly late clock accepts it at once.
        guard X509_gmtime_adj(X509_getm_notBefore(certificate), -3600) != nil,
            X509_gmtime_adj(X509_getm_notAfter(certificate), days * 86_400) != nil
        else { throw CryptoError.openSSL("X509_gmtime_adj") }
        guard X509_set_subject_name(certificate, subject.name) == 1, X509_set_issuer_name(certificate, issuer.name) == 1 else {
            throw CryptoError.openSSL("X509_set_subject_name")
        }
        guard X509_set_pubkey(certificate, publicKey.key) == 1 else { throw CryptoError.openSSL("X509_set_pubkey") }
    }

    deinit { X509_free(certificate) }

    func addExtension(_ nid: Int32, _ value: String) throws {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuerCertificate?.certificate ?? certificate, certificate, nil, nil, 0)
        guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else { throw CryptoError.openSSL("X509V3_EXT_conf_nid(\(value))") }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(certificate, ext, -1) == 1 else { throw CryptoError.openSSL("X509_add_ext") }
    }

    func sign(with key: ECKey) throws {
        if issuerCertificate != nil { try addExtension(NID_authority_key_identifier, "keyid:always") }
        guard X509_sign(certificate, key.key, EVP_sha256()) > 0 else { throw CryptoError.openSSL("X509_sign") }
    }

    func pem() throws -> String {
        try MemoryBIO.write("PEM_write_bio_X509") { PEM_write_bio_X509($0, certificate) }
    }
}

/// Runs an OpenSSL writer against a memory BIO and returns what it wrote.
enum MemoryBIO {
    static func write(_ operation: String, _ body: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("BIO_new") }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { throw CryptoError.openSSL(operation) }
        let length = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: length)
        let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(length)) }
        guard read == length else { throw CryptoError.openSSL("BIO_read") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
