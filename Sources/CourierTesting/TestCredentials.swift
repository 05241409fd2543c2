import CourierCore
import Synchronization

extension CredentialOperations {
    /// Cheap, deterministic stand-ins for CourierCrypto's scrypt, policy and tokens, so actor and HTTP tests run
    /// in microseconds and replay from a seed. Not secure: FNV-1a instead of scrypt and SHA-256.
    ///
    /// The policy is api.md §3.1's (the same rules as CourierCrypto's `PasswordPolicy`).
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
            passwordProblem: TestPasswordPolicy.problem,
            newToken: {
                let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                return random.withLock { generator in
                    String((0..<43).map { _ in alphabet[Int(generator.next() % 64)] })
                }
            },
            tokenDigest: { token in (0..<4).map { hexadecimal(ShardHash.fnv1a64("\($0):" + token)) }.joined() },
            secretsEqual: { $0 == $1 }
        )
    }
}

private func hexadecimal(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
}

/// api.md §3.1's password rules, worded like CourierCrypto's `PasswordPolicy`.
enum TestPasswordPolicy {
    static let specialCharacters = ##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##

    static func problem(_ password: String) -> String? {
        let scalars = password.unicodeScalars
        if !(8...64).contains(password.count) { return "password must be 8 to 64 characters long" }
        if !scalars.contains(where: { ("0"..."9").contains($0) }) { return "password must contain a digit" }
        if !scalars.contains(where: { ("A"..."Z").contains($0) }) {
            return "password must contain an upper-case ASCII letter"
        }
        if !scalars.contains(where: { ("a"..."z").contains($0) }) {
            return "password must contain a lower-case ASCII letter"
        }
        if !scalars.contains(where: { specialCharacters.unicodeScalars.contains($0) }) {
            return "password must contain a special character from \(specialCharacters)"
        }
        return nil
    }
}
