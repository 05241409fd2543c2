import CourierCore
import CourierCrypto

extension CredentialOperations {
    /// The production operations: CourierCrypto's salted slow hashes (api.md §3.1), policy, and
    /// tokens stored as SHA-256 (§1.2).
    public static func crypto(scheme: PasswordHash.Scheme = .scrypt) -> CredentialOperations {
        CredentialOperations(
            hashPassword: { try PasswordHash.hash(password: $0, scheme: scheme) },
            verifyPassword: { PasswordHash.verify(password: $0, against: $1) },
            passwordProblem: { PasswordPolicy.check($0) },
            newToken: { Token.generate() },
            tokenDigest: { Token.digest($0) },
            secretsEqual: { Token.constantTimeEquals($0, $1) },
            sealBackup: { try BackupCipher.seal(plaintext: $0, password: $1) },
            openBackup: { try BackupCipher.open($0, password: $1) })
    }
}
