/// Password-based encryption of backups (api.md §10).
///
/// Format version 1: `CRBK`, a version byte, a 16-byte scrypt salt, a 12-byte nonce, the AES-256-GCM ciphertext
/// and its 16-byte tag. The key is scrypt(password, salt) with N=2^15, r=8, p=1; the version fixes those
/// parameters. Everything before the ciphertext is authenticated as associated data, so no byte of the blob can
/// change unnoticed. The HTTP layer base64-encodes the blob.
public enum BackupCipher: Sendable {
    static let magic = Array("CRBK".utf8)
    static let version: UInt8 = 1
    static let saltBytes = 16
    static let headerBytes = magic.count + 1 + saltBytes + AESGCM.nonceBytes
    /// The shortest valid blob: a header and the tag of an empty plaintext.
    static let minimumBytes = headerBytes + AESGCM.tagBytes

    /// Encrypts `plaintext` under a key derived from `password`, with a fresh salt and nonce.
    ///
    /// Throws only when OpenSSL fails, for instance when it cannot allocate scrypt's 32 MiB.
    public static func seal(plaintext: [UInt8], password: String) throws -> [UInt8] {
        let salt = SecureRandom.bytes(count: saltBytes)
        let nonce = SecureRandom.bytes(count: AESGCM.nonceBytes)
        let header = magic + [version] + salt + nonce
        let key = try deriveKey(password: password, salt: salt)
        let sealed = try AESGCM.seal(plaintext, key: key, nonce: nonce, associatedData: header)
        return header + sealed.ciphertext + sealed.tag
    }

    /// The plaintext `blob` holds, if `password` is the one it was sealed with and the blob is intact.
    ///
    /// Throws `CryptoError` with code `.notABackup`, `.unsupportedVersion` or `.decryptionFailed` (wrong password,
    /// damaged or truncated data, which authenticated encryption cannot tell apart).
    public static func open(_ blob: [UInt8], password: String) throws -> [UInt8] {
        guard blob.count >= minimumBytes else {
            throw CryptoError(
                .decryptionFailed,
                "the backup could not be decrypted: the data is too short (truncated?)"
            )
        }
        guard blob.starts(with: magic) else {
            throw CryptoError(.notABackup, "the data is not a Courier backup")
        }
        guard blob[magic.count] == version else {
            throw CryptoError(
                .unsupportedVersion,
                "the backup has format version \(blob[magic.count]); this Courier reads version \(version) only"
            )
        }
        let salt = Array(blob[(magic.count + 1)..<(magic.count + 1 + saltBytes)])
        let nonce = Array(blob[(headerBytes - AESGCM.nonceBytes)..<headerBytes])
        let key = try deriveKey(password: password, salt: salt)
        let plaintext = try AESGCM.open(
            blob[headerBytes..<(blob.count - AESGCM.tagBytes)],
            tag: blob[(blob.count - AESGCM.tagBytes)...],
            key: key,
            nonce: nonce,
            associatedData: Array(blob[..<headerBytes])
        )
        guard let plaintext else {
            throw CryptoError(.decryptionFailed, "the backup could not be decrypted: wrong password or damaged data")
        }
        return plaintext
    }

    private static func deriveKey(password: String, salt: [UInt8]) throws -> [UInt8] {
        try KeyDerivation.scrypt(
            password: Array(password.utf8),
            salt: salt,
            n: 1 << 15,
            r: 8,
            p: 1,
            length: AESGCM.keyBytes
        )
    }
}
