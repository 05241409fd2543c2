/// Unpadded base64, the form PHC hash strings (standard alphabet) and tokens (URL alphabet) use.
///
/// Written here rather than taken from Foundation so the target stays free of it, and so decoding can be strict:
/// a stored hash has exactly one valid spelling.
enum Base64 {
    enum Alphabet {
        /// `A–Z a–z 0–9 + /` (RFC 4648 §4).
        case standard
        /// `A–Z a–z 0–9 - _` (RFC 4648 §5).
        case url

        var characters: [UInt8] {
            let common = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
            switch self {
            case .standard: return common + Array("+/".utf8)
            case .url: return common + Array("-_".utf8)
            }
        }
    }

    static func encode(_ bytes: [UInt8], alphabet: Alphabet) -> String {
        let characters = alphabet.characters
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { group |= UInt32(byte) << (16 - 8 * offset) }
            // n input bytes carry 8n bits, which need n + 1 six-bit characters.
            for position in 0...chunk.count { output.append(characters[Int((group >> (18 - 6 * position)) & 0x3F)]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil unless it is canonical unpadded base64 in `alphabet`.
    static func decode(_ text: some StringProtocol, alphabet: Alphabet) -> [UInt8]? {
        let values = text.utf8.map { sixBitValue(of: $0, alphabet: alphabet) }
        guard values.count % 4 != 1, values.allSatisfy({ $0 != nil }) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var group: UInt32 = 0
            for (offset, value) in chunk.enumerated() { group |= UInt32(value!) << (18 - 6 * offset) }
            let byteCount = chunk.count - 1
            // Bits past the last whole byte must be zero, or two spellings would decode to the same bytes.
            guard group & (0x00FF_FFFF >> (8 * byteCount)) == 0 else { return nil }
            for position in 0..<byteCount { output.append(UInt8(truncatingIfNeeded: group >> (16 - 8 * position))) }
            index += 4
        }
        return output
    }

    private static func sixBitValue(of character: UInt8, alphabet: Alphabet) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where alphabet == .standard, UInt8(ascii: "-") where alphabet == .url: return 62
        case UInt8(ascii: "/") where alphabet == .standard, UInt8(ascii: "_") where alphabet == .url: return 63
        default: return nil
        }
    }
}
