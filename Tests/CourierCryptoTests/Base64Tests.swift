import Testing

@testable import CourierCrypto

@Suite struct Base64Tests {
    /// RFC 4648 §10, without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func encodesAndDecodesRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8), alphabet: .standard) == encoded)
        #expect(Base64.decode(encoded, alphabet: .standard) == Array(plain.utf8))
    }

    @Test func alphabetsDifferOnlyInTheLastTwoCharacters() {
        let bytes: [UInt8] = [0xFB, 0xFF]
        #expect(Base64.encode(bytes, alphabet: .standard) == "+/8")
        #expect(Base64.encode(bytes, alphabet: .url) == "-_8")
        #expect(Base64.decode("-_8", alphabet: .url) == bytes)
        #expect(Base64.decode("-_8", alphabet: .standard) == nil)
        #expect(Base64.decode("+/8", alphabet: .url) == nil)
    }

    @Test(arguments: ["Z", "Zg==", "Zh", "Zm9=", "Zm 9", "Zm9v\n", "Zm9vY", "é"])
    func rejectsNonCanonicalText(_ text: String) {
        #expect(Base64.decode(text, alphabet: .standard) == nil)
    }

    @Test func roundTripsEveryLengthUpTo64() {
        for length in 0...64 {
            let bytes = SecureRandom.bytes(count: length)
            for alphabet in [Base64.Alphabet.standard, .url] {
                #expect(Base64.decode(Base64.encode(bytes, alphabet: alphabet), alphabet: alphabet) == bytes)
            }
        }
    }
}
