/// Salted slow password hashes in self-describing PHC strings (api.md §3.1).
///
/// New hashes use the configured `Scheme`; `verify` reads the algorithm and parameters from the stored string, so
/// changing the scheme never locks out users hashed under the other one. Both hashing and verifying take tens of
/// milliseconds of CPU (scrypt also 32 MiB) by design; run them off latency-sensitive threads.
public enum PasswordHash: Sendable {
    /// The algorithm new hashes use.
    public enum Scheme: String, Hashable, Sendable, CaseIterable {
        /// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`.
        case scrypt
        /// `$pbkdf2-sha256$i=600000$<salt>$<hash>`.
        case pbkdf2SHA256
    }

    static let saltBytes = 16
    static let hashBytes = 32

    /// Hashes `password` (its UTF-8 bytes, as given) with a fresh 16-byte salt.
    ///
    /// Throws only when OpenSSL fails, for instance when it cannot allocate scrypt's memory.
    public static func hash(password: String, scheme: Scheme = .scrypt) throws -> String {
        try hash(password: password, parameters: Parameters(scheme), salt: SecureRandom.bytes(count: saltBytes))
    }

    /// Whether `password` matches `stored`, a string `hash(password:scheme:)` produced.
    ///
    /// A malformed string, or one asking for parameters outside sane bounds, is false rather than an error: to a
    /// login it is just a password that does not match.
    public static func verify(password: String, against stored: String) -> Bool {
        guard let encoded = EncodedPasswordHash(parsing: stored) else { return false }
        // A derivation failure (scrypt refusing its memory) cannot prove the password right, so it is a mismatch;
        // the OpenSSL reason was already drained into the discarded error.
        guard
            let candidate = try? derive(
                password: password,
                parameters: encoded.parameters,
                salt: encoded.salt,
                length: encoded.hash.count
            )
        else { return false }
        return ConstantTime.equals(candidate, encoded.hash)
    }

    /// Hashes with explicit parameters and salt, so tests can use cheap parameters and fixed salts.
    static func hash(password: String, parameters: Parameters, salt: [UInt8]) throws -> String {
        let hash = try derive(password: password, parameters: parameters, salt: salt, length: hashBytes)
        return EncodedPasswordHash(parameters: parameters, salt: salt, hash: hash).string
    }

    static func derive(password: String, parameters: Parameters, salt: [UInt8], length: Int) throws -> [UInt8] {
        let passwordBytes = Array(password.utf8)
        switch parameters {
        case .scrypt(let costLog2, let blockSize, let parallelism):
            return try KeyDerivation.scrypt(
                password: passwordBytes,
                salt: salt,
                n: 1 << UInt64(costLog2),
                r: UInt64(blockSize),
                p: UInt64(parallelism),
                length: length
            )
        case .pbkdf2SHA256(let iterations):
            return try KeyDerivation.pbkdf2SHA256(
                password: passwordBytes,
                salt: salt,
                iterations: iterations,
                length: length
            )
        }
    }
}

extension PasswordHash {
    /// An algorithm with its cost parameters, as a PHC string records them.
    enum Parameters: Hashable, Sendable {
        /// scrypt with N = 2^costLog2.
        case scrypt(costLog2: Int, blockSize: Int, parallelism: Int)
        case pbkdf2SHA256(iterations: Int)

        /// api.md §3.1: scrypt N=2^15, r=8, p=1, or PBKDF2-SHA256 with at least 600 000 iterations.
        init(_ scheme: Scheme) {
            switch scheme {
            case .scrypt: self = .scrypt(costLog2: 15, blockSize: 8, parallelism: 1)
            case .pbkdf2SHA256: self = .pbkdf2SHA256(iterations: 600_000)
            }
        }
    }
}
