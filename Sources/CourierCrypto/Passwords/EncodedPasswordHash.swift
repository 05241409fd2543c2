/// A PHC-style hash string, `$<id>$<parameters>$<salt>$<hash>`, with salt and hash in unpadded standard base64.
///
/// Parsing is strict (fixed parameter order, no leading zeros, canonical base64) and bounded: stored hashes can
/// arrive through a restored backup, so a string must not be able to demand minutes of CPU or gigabytes of memory.
struct EncodedPasswordHash: Hashable, Sendable {
    var parameters: PasswordHash.Parameters
    var salt: [UInt8]
    var hash: [UInt8]

    static let saltByteRange = 16...64
    /// Exactly what `PasswordHash` writes: both KDFs' outputs are prefix-consistent, so a shortened stored hash
    /// would still verify, against fewer bits.
    static let hashByteRange = PasswordHash.hashBytes...PasswordHash.hashBytes
    /// With r ≤ 16 and memory capped by `KeyDerivation.maximumScryptMemoryBytes`, the worst accepted scrypt costs
    /// about 4·2 = 8 times Courier's own (p ≤ 4, twice the memory).
    static let scryptCostLog2Range = 1...20
    static let scryptBlockSizeRange = 1...16
    static let scryptParallelismRange = 1...4
    static let pbkdf2IterationRange = 1...10_000_000

    init(parameters: PasswordHash.Parameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    init?(parsing text: String) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty,
            let parameters = Self.parameters(id: fields[1], list: fields[2]),
            let salt = Base64.decode(fields[3], alphabet: .standard), Self.saltByteRange.contains(salt.count),
            let hash = Base64.decode(fields[4], alphabet: .standard), Self.hashByteRange.contains(hash.count)
        else { return nil }
        self.init(parameters: parameters, salt: salt, hash: hash)
    }

    var string: String {
        let salt = Base64.encode(salt, alphabet: .standard)
        let hash = Base64.encode(hash, alphabet: .standard)
        switch parameters {
        case .scrypt(let costLog2, let blockSize, let parallelism):
            return "$scrypt$ln=\(costLog2),r=\(blockSize),p=\(parallelism)$\(salt)$\(hash)"
        case .pbkdf2SHA256(let iterations):
            return "$pbkdf2-sha256$i=\(iterations)$\(salt)$\(hash)"
        }
    }

    private static func parameters(id: Substring, list: Substring) -> PasswordHash.Parameters? {
        switch id {
        case "scrypt":
            guard let values = values(of: list, keys: ["ln", "r", "p"]),
                scryptCostLog2Range.contains(values[0]), scryptBlockSizeRange.contains(values[1]),
                scryptParallelismRange.contains(values[2])
            else { return nil }
            return .scrypt(costLog2: values[0], blockSize: values[1], parallelism: values[2])
        case "pbkdf2-sha256":
            guard let values = values(of: list, keys: ["i"]), pbkdf2IterationRange.contains(values[0]) else {
                return nil
            }
            return .pbkdf2SHA256(iterations: values[0])
        default:
            return nil
        }
    }

    /// The values of `k1=v1,k2=v2,…` when the keys are exactly `keys`, in order, and every value is a decimal
    /// number without leading zeros.
    private static func values(of list: Substring, keys: [String]) -> [Int]? {
        let pairs = list.split(separator: ",", omittingEmptySubsequences: false)
        guard pairs.count == keys.count else { return nil }
        var values: [Int] = []
        for (pair, key) in zip(pairs, keys) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == key, let value = decimal(parts[1]) else { return nil }
            values.append(value)
        }
        return values
    }

    private static func decimal(_ text: Substring) -> Int? {
        // Eight digits cover every accepted range and bound the work before Int(_:) sees the text.
        guard (1...8).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            text == "0" || text.first != "0"
        else { return nil }
        return Int(text)
    }
}
