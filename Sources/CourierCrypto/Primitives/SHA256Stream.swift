import COpenSSL

/// SHA-256 over data that arrives in pieces (an upload streamed to disk), through OpenSSL's EVP interface.
public final class SHA256Stream {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        // Initialising a built-in digest can only fail to allocate.
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    /// The digest as lowercase hex; the stream must not be used afterwards.
    public func finishHex() -> String {
        var digest = [UInt8](repeating: 0, count: SHA256.digestBytes)
        var written: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &digest, &written) == 1, "EVP_DigestFinal_ex failed")
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
