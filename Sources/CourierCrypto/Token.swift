/// Bearer tokens (api.md §1.2): 256 random bits as unpadded base64url, stored only as their SHA-256.
public enum Token: Sendable {
    /// Characters in a token: 32 bytes as unpadded base64.
    public static let length = 43
    static let randomBytes = 32

    /// A fresh token, to hand to the client once; keep only `digest(_:)` of it.
    public static func generate() -> String {
        Base64.encode(SecureRandom.bytes(count: randomBytes), alphabet: .url)
    }

    /// The lowercase hex SHA-256 of the token's UTF-8 bytes: what is stored and looked up.
    ///
    /// A plain fast hash suffices: tokens carry 256 random bits, so there is nothing to brute-force.
    public static func digest(_ token: String) -> String {
        hexadecimal(SHA256.hash(Array(token.utf8)))
    }

    /// Whether two secrets (tokens, API keys) are equal, in time independent of their contents.
    ///
    /// Both sides are hashed first, so even their lengths stay hidden from a timing observer.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        ConstantTime.equals(SHA256.hash(Array(lhs.utf8)), SHA256.hash(Array(rhs.utf8)))
    }

    static func hexadecimal(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
