import Testing

@testable import CourierCrypto

@Suite struct BackupCipherTests {
    static let password = "backup pa55word!"
    static let plaintext = Array("hello".utf8)
    /// One small blob shared by the per-byte cases, so each case costs one key derivation, not two.
    static let sealed: [UInt8] = {
        do {
            return try BackupCipher.seal(plaintext: plaintext, password: password)
        } catch {
            fatalError("sealing the test fixture failed: \(error)")
        }
    }()

    @Test(arguments: [0, 1, 5, 4096, 3 << 20 + 7])  // the last spans several 1 MiB update chunks
    func sealThenOpenRoundTrips(length: Int) throws {
        let plaintext = SecureRandom.bytes(count: length)
        let blob = try BackupCipher.seal(plaintext: plaintext, password: Self.password)
        #expect(blob.count == BackupCipher.minimumBytes + length)
        #expect(try BackupCipher.open(blob, password: Self.password) == plaintext)
    }

    @Test func blobStartsWithMagicAndVersion() {
        #expect(Array(Self.sealed.prefix(5)) == Array("CRBK".utf8) + [1])
        #expect(Self.sealed.count == 4 + 1 + 16 + 12 + Self.plaintext.count + 16)
    }

    @Test func sealingTwiceGivesDifferentBlobs() throws {
        let other = try BackupCipher.seal(plaintext: Self.plaintext, password: Self.password)
        #expect(other != Self.sealed)
        #expect(Array(other[5..<33]) != Array(Self.sealed[5..<33]))  // fresh salt and nonce
    }

    @Test func wrongPasswordIsRejected() {
        let error = #expect(throws: CryptoError.self) {
            try BackupCipher.open(Self.sealed, password: "backup pa55word?")
        }
        #expect(error?.code == .decryptionFailed)
        #expect(error?.message == "the backup could not be decrypted: wrong password or damaged data")
    }

    @Test(arguments: 0..<(BackupCipher.minimumBytes + 5))
    func everyFlippedByteIsDetected(index: Int) {
        var blob = Self.sealed
        blob[index] ^= 0x01
        let error = #expect(throws: CryptoError.self) { try BackupCipher.open(blob, password: Self.password) }
        switch index {
        case 0..<4: #expect(error?.code == .notABackup)
        case 4: #expect(error?.code == .unsupportedVersion)
        default: #expect(error?.code == .decryptionFailed)
        }
    }

    @Test(arguments: [0, 1, 4, 5, 33, BackupCipher.minimumBytes - 1, BackupCipher.minimumBytes, 53])
    func truncatedBlobsAreRejected(length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try BackupCipher.open(Array(Self.sealed.prefix(length)), password: Self.password)
        }
        #expect(error?.code == .decryptionFailed)
    }

    @Test func extendedBlobIsRejected() {
        let error = #expect(throws: CryptoError.self) {
            try BackupCipher.open(Self.sealed + [0], password: Self.password)
        }
        #expect(error?.code == .decryptionFailed)
    }

    @Test func otherDataIsNotABackup() {
        let error = #expect(throws: CryptoError.self) {
            try BackupCipher.open(Array(String(repeating: "{\"settings\": {}} ", count: 4).utf8), password: "x")
        }
        #expect(error?.code == .notABackup)
    }

    @Test func newerFormatVersionsAreNamed() {
        var blob = Self.sealed
        blob[4] = 2
        let error = #expect(throws: CryptoError.self) { try BackupCipher.open(blob, password: Self.password) }
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.message == "the backup has format version 2; this Courier reads version 1 only")
    }
}
