import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG, for salts, nonces and tokens.
public enum SecureRandom: Sendable {
    /// Returns `count` random bytes.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "SecureRandom.bytes(count:) called with \(count)")
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        // RAND_bytes fails only when the DRBG cannot be seeded; handing out predictable salts, nonces or
        // tokens would be worse than stopping.
        precondition(status == 1, "RAND_bytes failed: \(OpenSSLErrorQueue.drain() ?? "no reason given")")
        return bytes
    }
}
