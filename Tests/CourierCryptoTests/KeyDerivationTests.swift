import Testing

@testable import CourierCrypto

@Suite struct KeyDerivationTests {
    @Test func scryptMatchesRFC7914WithEmptyInputs() throws {
        let key = try KeyDerivation.scrypt(password: [], salt: [], n: 16, r: 1, p: 1, length: 64)
        #expect(
            hex(key) == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
        )
    }

    @Test func scryptMatchesRFC7914() throws {
        let key = try KeyDerivation.scrypt(
            password: Array("password".utf8),
            salt: Array("NaCl".utf8),
            n: 1024,
            r: 8,
            p: 16,
            length: 64
        )
        #expect(
            hex(key) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        )
    }

    @Test func scryptRefusesMoreMemoryThanTheCap() throws {
        // N=2^20, r=8 needs 1 GiB, far above the 64 MiB cap.
        let error = #expect(throws: CryptoError.self) {
            try KeyDerivation.scrypt(password: [1], salt: [2], n: 1 << 20, r: 8, p: 1, length: 32)
        }
        #expect(error?.code == .library)
        #expect(error?.message.hasPrefix("scrypt key derivation failed in OpenSSL: ") == true)
        #expect(error?.message.hasSuffix("no reason given") == false)
    }

    @Test(arguments: [
        (1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        (4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
    ])
    func pbkdf2SHA256MatchesKnownAnswers(iterations: Int, expected: String) throws {
        let key = try KeyDerivation.pbkdf2SHA256(
            password: Array("password".utf8),
            salt: Array("salt".utf8),
            iterations: iterations,
            length: 32
        )
        #expect(hex(key) == expected)
    }

    @Test func sha256MatchesFIPS180() {
        #expect(
            hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func secureRandomReturnsTheRequestedCount() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: 16).count == 16)
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
    }
}
