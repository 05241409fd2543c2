/// The secret-handling operations users and tokens need, injected so that the core and the actors never touch
/// OpenSSL or a random source directly (STYLE §5): production passes CourierCrypto's `PasswordHash`,
/// `PasswordPolicy` and `Token`; tests pass a cheap deterministic set.
///
/// `hashPassword` and `verifyPassword` may take tens of milliseconds (scrypt): callers run them off actors.
public struct CredentialOperations: Sendable {
    /// A salted slow hash of a password, as a self-describing string (api.md §3.1).
    public var hashPassword: @Sendable (_ password: String) throws -> String
    /// Whether a password matches a stored hash; a malformed hash is false.
    public var verifyPassword: @Sendable (_ password: String, _ storedHash: String) -> Bool
    /// Nil when a password satisfies the policy, else the rule it breaks (api.md §3.1).
    public var passwordProblem: @Sendable (_ password: String) -> String?
    /// A fresh bearer token (256 random bits, base64url).
    public var newToken: @Sendable () -> String
    /// The stored form of a token: lowercase hex SHA-256.
    public var tokenDigest: @Sendable (_ token: String) -> String
    /// Compares two secrets (API keys) in time independent of their contents.
    public var secretsEqual: @Sendable (_ lhs: String, _ rhs: String) -> Bool
    /// Encrypts a backup document under a password (api.md §10): the raw blob, before base64. Slow (scrypt).
    public var sealBackup: @Sendable (_ plaintext: [UInt8], _ password: String) throws -> [UInt8]
    /// The plaintext of a sealed backup; throws on a wrong password, damaged, truncated or foreign data.
    public var openBackup: @Sendable (_ blob: [UInt8], _ password: String) throws -> [UInt8]

    public init(
        hashPassword: @escaping @Sendable (_ password: String) throws -> String,
        verifyPassword: @escaping @Sendable (_ password: String, _ storedHash: String) -> Bool,
        passwordProblem: @escaping @Sendable (_ password: String) -> String?,
        newToken: @escaping @Sendable () -> String,
        tokenDigest: @escaping @Sendable (_ token: String) -> String,
        secretsEqual: @escaping @Sendable (_ lhs: String, _ rhs: String) -> Bool,
        sealBackup: @escaping @Sendable (_ plaintext: [UInt8], _ password: String) throws -> [UInt8] = { _, _ in
            throw BackupUnavailable()
        },
        openBackup: @escaping @Sendable (_ blob: [UInt8], _ password: String) throws -> [UInt8] = { _, _ in
            throw BackupUnavailable()
        }
    ) {
        self.hashPassword = hashPassword
        self.verifyPassword = verifyPassword
        self.passwordProblem = passwordProblem
        self.newToken = newToken
        self.tokenDigest = tokenDigest
        self.secretsEqual = secretsEqual
        self.sealBackup = sealBackup
        self.openBackup = openBackup
    }
}

/// Thrown by the default `sealBackup` / `openBackup` of operations built without backup encryption.
public struct BackupUnavailable: Error, Hashable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "backup encryption is not configured" }
}
