/// What `POST /v1/media` accepts (api.md §8.1): the kind a MIME type makes and its size limit.
public enum MediaPolicy {
    public enum Kind: String, CaseIterable, Sendable {
        case image, audio, video, sticker, document

        /// Decimal bytes (5 MB = 5 000 000).
        public var maximumBytes: Int {
            switch self {
            case .image: 5_000_000
            case .audio, .video: 16_000_000
            case .sticker: 500_000
            case .document: 64_000_000
            }
        }
    }

    /// The overall cap: no upload is read beyond it.
    public static let maximumBytes = Kind.document.maximumBytes

    /// The MIME type (parameters dropped, lowercased) of a `Content-Type` value, nil unless it is a valid
    /// `type/subtype` of RFC 6838 token characters.
    public static func mimeType(_ contentType: String) -> String? {
        let essence = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = essence.trimmingASCIISpaces().lowercased()
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 127 && $0.utf8.allSatisfy(isTokenByte) }) else {
            return nil
        }
        return trimmed
    }

    /// The kind a (normalized) MIME type uploads as: the listed types, else a document.
    public static func kind(of mimeType: String) -> Kind {
        switch mimeType {
        case "image/jpeg", "image/png": .image
        case "audio/aac", "audio/mp4", "audio/amr", "audio/mpeg", "audio/ogg": .audio
        case "video/mp4", "video/3gpp": .video
        case "image/webp": .sticker
        default: .document
        }
    }

    /// A media id as Courier issues them: a lowercase UUIDv4 from 128 random bits.
    public static func newID(random: (UInt64, UInt64)) -> String {
        var high = random.0
        var low = random.1
        high = (high & ~0x0000_0000_0000_F000) | 0x0000_0000_0000_4000  // version 4
        low = (low & ~0xC000_0000_0000_0000) | 0x8000_0000_0000_0000  // RFC 4122 variant
        let hex = (String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16))
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    /// Whether `id` could name a stored media file: a UUID in lowercase hex with dashes, so an id never
    /// reaches the file system as anything but a plain file name.
    public static func isWellFormedID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) else { return false }
            }
        }
        return true
    }

    /// The `link` of a media message's content (image, audio, video, document, sticker), nil otherwise.
    public static func link(in content: [UInt8], type: String) -> String? {
        mediaLink(in: content, type: type)?.url
    }

    /// The `link` of a media message's content with its `provider.name`, nil when there is no link.
    public static func mediaLink(in content: [UInt8], type: String) -> MediaLink? {
        guard Kind(rawValue: type) != nil, let parsed = try? JSONParser.parse(content), let url = parsed["link"]?.stringValue else {
            return nil
        }
        return MediaLink(url: url, provider: parsed["provider"]?["name"]?.stringValue)
    }

    /// The media ids a validated send's content refers to (`id` of image/audio/video/document/sticker
    /// objects, wherever they sit: the message itself, template parameters, interactive headers).
    public static func referencedIDs(in content: JSONValue, type: String) -> [String] {
        var ids: [String] = []
        func visit(_ value: JSONValue, key: String?) {
            switch value {
            case .object(let object):
                if let key, Kind(rawValue: key) != nil, case .string(let id)? = object["id"] { ids.append(id) }
                for member in object.members { visit(member.value, key: member.key) }
            case .array(let array):
                for element in array { visit(element, key: nil) }
            default:
                break
            }
        }
        visit(content, key: type)
        return ids
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "-"), UInt8(ascii: "^"),
            UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "+"):
            true
        default: false
        }
    }
}

extension StringProtocol {
    func trimmingASCIISpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
