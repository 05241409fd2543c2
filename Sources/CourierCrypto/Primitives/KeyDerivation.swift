import COpenSSL

/// The slow key-derivation functions behind password hashes and backup keys.
enum KeyDerivation {
    /// The most memory one scrypt call may use.
    ///
    /// Courier's N=2^15, r=8 needs 128·r·N = 32 MiB; OpenSSL's 32 MiB default would refuse it, and a stored hash
    /// asking for more than this is rejected rather than allowed to exhaust memory.
    static let maximumScryptMemoryBytes: UInt64 = 64 << 20

    /// scrypt (RFC 7914) with cost `n` (a power of two), block size `r` and parallelism `p`.
    static func scrypt(
        password: [UInt8],
        salt: [UInt8],
        n: UInt64,
        r: UInt64,
        p: UInt64,
        length: Int
    ) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: length)
        let status = withNonNullPointer(password) { passwordPointer in
            withNonNullPointer(salt) { saltPointer in
                key.withUnsafeMutableBufferPointer { output in
                    passwordPointer.withMemoryRebound(to: CChar.self, capacity: max(password.count, 1)) {
                        passwordChars in
                        EVP_PBE_scrypt(
                            passwordChars,
                            password.count,
                            saltPointer,
                            salt.count,
                            n,
                            r,
                            p,
                            maximumScryptMemoryBytes,
                            output.baseAddress,
                            length
                        )
                    }
                }
            }
        }
        guard status == 1 else { throw CryptoError.openSSL("scrypt key derivation") }
        return key
    }

    /// PBKDF2 (RFC 8018) with HMAC-SHA-256.
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int) throws -> [UInt8] {
        precondition(
            password.count <= Int32.max && salt.count <= Int32.max && iterations <= Int32.max
                && length <= Int32.max,
            "PBKDF2 input beyond OpenSSL's int range"
        )
        var key = [UInt8](repeating: 0, count: length)
        let status = withNonNullPointer(password) { passwordPointer in
            withNonNullPointer(salt) { saltPointer in
                key.withUnsafeMutableBufferPointer { output in
                    passwordPointer.withMemoryRebound(to: CChar.self, capacity: max(password.count, 1)) {
                        passwordChars in
                        PKCS5_PBKDF2_HMAC(
                            passwordChars,
                            Int32(password.count),
                            saltPointer,
                            Int32(salt.count),
                            Int32(iterations),
                            EVP_sha256(),
                            Int32(length),
                            output.baseAddress
                        )
                    }
                }
            }
        }
        guard status == 1 else { throw CryptoError.openSSL("PBKDF2-SHA256 key derivation") }
        return key
    }
}
