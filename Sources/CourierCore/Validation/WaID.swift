/// Recipient normalization (api.md §6.1 `to`): digits, spaces, `-`, `.`, `(`, `)` and one leading `+`
/// are allowed; separators and a leading `+` or `00` are removed; 7–15 digits must remain.
public enum WaID {
    public static func normalize(_ input: String) -> String? {
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        var sawPlus = false
        for (index, byte) in input.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"): continue
            case UInt8(ascii: "+"):
                guard !sawPlus, digits.isEmpty, input.utf8.prefix(index).allSatisfy({ $0 == UInt8(ascii: " ") }) else {
                    return nil
                }
                sawPlus = true
            default: return nil
            }
        }
        if !sawPlus, digits.count > 2, digits[0] == UInt8(ascii: "0"), digits[1] == UInt8(ascii: "0") {
            digits.removeFirst(2)
        }
        guard (7...15).contains(digits.count) else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }
}

/// Message ids (api.md §6.2): `gBG` (outbound) or `ABG` (inbound), then unpadded base64url of
/// the 8-byte shard hash of the peer's `wa_id`, big-endian, and 16 bytes from an injected random source.
public enum MessageID {
    public static func outbound(to waID: String, random: (UInt64, UInt64)) -> String {
        make(prefix: "gBG", waID: waID, random: random)
    }

    public static func inbound(from waID: String, random: (UInt64, UInt64)) -> String {
        make(prefix: "ABG", waID: waID, random: random)
    }

    /// The shard hash embedded in an id Courier made, or nil for a foreign id.
    public static func embeddedHash(_ id: String) -> UInt64? {
        guard id.utf8.count == 35, id.hasPrefix("gBG") || id.hasPrefix("ABG"),
            let bytes = Base64URL.decode(String(id.dropFirst(3))), bytes.count == 24
        else { return nil }
        return bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func make(prefix: String, waID: String, random: (UInt64, UInt64)) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for value in [ShardHash.fnv1a64(waID), random.0, random.1] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        return prefix + Base64URL.encode(bytes)
    }
}

/// Unpadded base64url (RFC 4648 §5).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((value >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var value = UInt32(bytes[index]) << 16
            if rest == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            let shifts = rest == 1 ? [18, 12] : [18, 12, 6]
            for shift in shifts { output.append(alphabet[Int((value >> UInt32(shift)) & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return output
    }
}
