import CourierCore
import CourierCrypto
import Synchronization

extension CredentialOperations {
    /// Cheap, deterministic stand-ins for CourierCrypto's scrypt, policy and tokens, so actor and HTTP tests run
    /// in microseconds and replay from a seed. Not secure: FNV-1a instead of scrypt and SHA-256.
    ///
    /// The password policy is CourierCrypto's own (api.md §3.1).
    public static func testing(seed: UInt64 = 1) -> CredentialOperations {
        let random = Mutex(SeededRandom(seed: seed))
        return CredentialOperations(
            hashPassword: { password in
                let salt = hexadecimal(random.withLock { $0.next() })
                return "$test$\(salt)$\(hexadecimal(ShardHash.fnv1a64(salt + password)))"
            },
            verifyPassword: { password, stored in
                let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
                guard fields.count == 4, fields[1] == "test" else { return false }
                return fields[3] == hexadecimal(ShardHash.fnv1a64(fields[2] + password))
            },
            passwordProblem: PasswordPolicy.check,  // the real policy: only hashing is faked
            newToken: {
                let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                return random.withLock { generator in
                    String((0..<43).map { _ in alphabet[Int(generator.next() % 64)] })
                }
            },
            tokenDigest: { token in (0..<4).map { hexadecimal(ShardHash.fnv1a64("\($0):" + token)) }.joined() },
            secretsEqual: { $0 == $1 },
            // The real cipher (api.md §10): scrypt takes a fraction of a second per backup or restore.
            sealBackup: { try BackupCipher.seal(plaintext: $0, password: $1) },
            openBackup: { try BackupCipher.open($0, password: $1) }
        )
    }
}

private func hexadecimal(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
}

/// api.md §3.1's password rules, worded like CourierCrypto's `PasswordPolicy`.
