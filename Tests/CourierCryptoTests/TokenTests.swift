import Testing

@testable import CourierCrypto

@Suite struct TokenTests {
    @Test func tokensAre43CharactersOfUnpaddedBase64URL() {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for _ in 0..<200 {
            let token = Token.generate()
            #expect(token.count == Token.length)
            #expect(token.allSatisfy { allowed.contains($0) })
            #expect(Base64.decode(token, alphabet: .url)?.count == 32)
        }
    }

    @Test func tokensAreUnique() {
        let tokens = (0..<10_000).map { _ in Token.generate() }
        #expect(Set(tokens).count == tokens.count)
    }

    @Test func digestIsLowercaseHexSHA256() {
        #expect(Token.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let digest = Token.digest(Token.generate())
        #expect(digest.count == 64)
        #expect(digest.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func constantTimeEqualsComparesContents() {
        let token = Token.generate()
        #expect(Token.constantTimeEquals(token, String(token)))
        #expect(!Token.constantTimeEquals(token, Token.generate()))
        #expect(!Token.constantTimeEquals(token, String(token.dropLast())))
        #expect(!Token.constantTimeEquals("", token))
        #expect(Token.constantTimeEquals("", ""))
    }
}
