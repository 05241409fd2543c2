import COpenSSL

/// SHA-256 through OpenSSL's EVP interface.
enum SHA256 {
    static let digestBytes = 32

    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestBytes)
        var written: UInt32 = 0
        let status = withNonNullPointer(bytes) { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input, bytes.count, output.baseAddress, &written, EVP_sha256(), nil)
            }
        }
        // EVP_Digest can only fail to allocate its context; there is nothing useful a caller could do instead.
        precondition(status == 1, "EVP_Digest(SHA-256) failed: \(OpenSSLErrorQueue.drain() ?? "no reason given")")
        assert(Int(written) == digestBytes)
        return digest
    }
}

/// Calls `body` with a pointer to `bytes`, never nil even when `bytes` is empty.
///
/// An empty array may have a nil base address, and some OpenSSL functions reject a null input pointer even with
/// a zero length.
func withNonNullPointer<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>) throws -> Result) rethrows -> Result {
    let backing = bytes.isEmpty ? [0] : bytes
    return try backing.withUnsafeBufferPointer { try body($0.baseAddress!) }
}
