import COpenSSL

/// A PEM private key with its certificate chain, as `POST /v1/certificates/external` takes it (api.md §13).
public struct CertificateBundle: Hashable, Sendable {
    /// The private key, re-encoded as PEM.
    public var privateKeyPEM: String
    /// The certificates, leaf first, each re-encoded as PEM.
    public var certificatePEMs: [String]

    /// Parses `pem` (key and certificates in any order) and checks that the leaf certificate (the first one)
    /// matches the key and is valid now. Throws a `CryptoError` whose message says what is wrong.
    public static func parse(_ pem: String) throws -> CertificateBundle {
        let certificates = try readAll(pem, "certificate", free: { X509_free($0) }) { PEM_read_bio_X509($0, nil, nil, nil) }
        defer { certificates.forEach { X509_free($0) } }
        let keys = try readAll(pem, "private key", free: { EVP_PKEY_free($0) }) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        defer { keys.forEach { EVP_PKEY_free($0) } }
        guard let leaf = certificates.first else { throw CryptoError(.library, "no certificate found in the PEM") }
        guard keys.count == 1, let key = keys.first else {
            throw CryptoError(.library, keys.isEmpty ? "no private key found in the PEM" : "more than one private key in the PEM")
        }
        guard X509_check_private_key(leaf, key) == 1 else {
            OpenSSLErrorQueue.drain()
            throw CryptoError(.library, "the private key does not match the first certificate")
        }
        guard X509_cmp_current_time(X509_get0_notAfter(leaf)) > 0 else { throw CryptoError(.library, "the certificate has expired") }
        guard X509_cmp_current_time(X509_get0_notBefore(leaf)) < 0 else { throw CryptoError(.library, "the certificate is not valid yet") }
        return CertificateBundle(
            privateKeyPEM: try MemoryBIO.write("PEM_write_bio_PrivateKey") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) },
            certificatePEMs: try certificates.map { certificate in
                try MemoryBIO.write("PEM_write_bio_X509") { PEM_write_bio_X509($0, certificate) }
            })
    }

    /// Parses a bundle of CA certificates (`/v1/certificates/webhooks/ca`); at least one, all parseable.
    public static func parseCertificates(_ pem: String) throws -> [String] {
        let certificates = try readAll(pem, "certificate", free: { X509_free($0) }) { PEM_read_bio_X509($0, nil, nil, nil) }
        defer { certificates.forEach { X509_free($0) } }
        guard !certificates.isEmpty else { throw CryptoError(.library, "no certificate found in the PEM") }
        return try certificates.map { certificate in try MemoryBIO.write("PEM_write_bio_X509") { PEM_write_bio_X509($0, certificate) } }
    }

    /// Every PEM block whose label matches `what`, parsed one by one (so that an error names its block).
    private static func readAll(
        _ pem: String, _ what: String, free: (OpaquePointer) -> Void, _ read: (OpaquePointer) -> OpaquePointer?
    ) throws -> [OpaquePointer] {
        var items: [OpaquePointer] = []
        for block in blocks(pem) where block.label.hasSuffix(what == "certificate" ? "CERTIFICATE" : "PRIVATE KEY") {
            guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("BIO_new") }
            defer { BIO_free(bio) }
            let bytes = Array(block.text.utf8)
            _ = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard let item = read(bio) else {
                OpenSSLErrorQueue.drain()
                items.forEach(free)
                throw CryptoError(.library, "a \(what) in the PEM could not be read")
            }
            items.append(item)
        }
        return items
    }

    /// The `-----BEGIN <label>----- … -----END <label>-----` blocks of a PEM text, in order.
    static func blocks(_ pem: String) -> [(label: String, text: String)] {
        var result: [(label: String, text: String)] = []
        var current: (label: String, lines: [Substring])? = nil
        for line in pem.split(whereSeparator: \.isNewline) {
            let trimmed = String(line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
            if trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
                current = (String(trimmed.dropFirst(11).dropLast(5)), [Substring(trimmed)])
            } else if trimmed.hasPrefix("-----END "), trimmed.hasSuffix("-----"), var block = current {
                block.lines.append(Substring(trimmed))
                result.append((block.label, block.lines.joined(separator: "\n") + "\n"))
                current = nil
            } else if current != nil {
                current!.lines.append(Substring(trimmed))
            }
        }
        return result
    }
}
