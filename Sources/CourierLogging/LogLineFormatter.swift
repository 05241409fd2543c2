import Logging

/// Turns one event into one line of bytes ending in `\n`; control characters are escaped, so a message can
/// neither split a line nor forge one.
struct LogLineFormatter: Sendable {
    var format: ApplicationLogs.Format
    /// Lowercased; a metadata key containing one of them is written as `<redacted>`.
    var redactedKeyFragments: [String]

    init(format: ApplicationLogs.Format, redactedKeyFragments: [String]) {
        self.format = format
        self.redactedKeyFragments = redactedKeyFragments.map { $0.lowercased() }
    }

    func line(
        time: LogClock.Instant,
        level: Logger.Level,
        label: String,
        source: String,
        message: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + label.utf8.count + message.utf8.count + metadata.count * 24)
        switch format {
        case .text: text(time, level, label, source, message, metadata, into: &bytes)
        case .json: json(time, level, label, source, message, metadata, into: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// `<time> <level> <label>: <key=value ...> [<source>] <message>`, like swift-log's `StreamLogHandler`.
    private func text(
        _ time: LogClock.Instant,
        _ level: Logger.Level,
        _ label: String,
        _ source: String,
        _ message: String,
        _ metadata: Logger.Metadata,
        into bytes: inout [UInt8]
    ) {
        time.appendISO8601(to: &bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: level.rawValue.utf8)
        bytes.append(UInt8(ascii: " "))
        Self.appendEscaped(label, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        for key in metadata.keys.sorted() {
            bytes.append(UInt8(ascii: " "))
            Self.appendEscaped(key, to: &bytes)
            bytes.append(UInt8(ascii: "="))
            Self.appendEscaped(isRedacted(key) ? "<redacted>" : "\(metadata[key]!)", to: &bytes)
        }
        bytes.append(contentsOf: " [".utf8)
        Self.appendEscaped(source, to: &bytes)
        bytes.append(contentsOf: "] ".utf8)
        Self.appendEscaped(message, to: &bytes)
    }

    /// `{"time":…,"level":…,"label":…,"source":…,"message":…,"metadata":{…}}`, keys sorted inside metadata.
    private func json(
        _ time: LogClock.Instant,
        _ level: Logger.Level,
        _ label: String,
        _ source: String,
        _ message: String,
        _ metadata: Logger.Metadata,
        into bytes: inout [UInt8]
    ) {
        bytes.append(contentsOf: #"{"time":""#.utf8)
        time.appendISO8601(to: &bytes)
        bytes.append(contentsOf: #"","level":""#.utf8)
        bytes.append(contentsOf: level.rawValue.utf8)
        bytes.append(contentsOf: #"","label":"#.utf8)
        Self.appendJSONString(label, to: &bytes)
        bytes.append(contentsOf: #","source":"#.utf8)
        Self.appendJSONString(source, to: &bytes)
        bytes.append(contentsOf: #","message":"#.utf8)
        Self.appendJSONString(message, to: &bytes)
        bytes.append(contentsOf: #","metadata":"#.utf8)
        appendJSON(.dictionary(metadata), to: &bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    private func appendJSON(_ value: Logger.MetadataValue, to bytes: inout [UInt8]) {
        switch value {
        case .string(let string):
            Self.appendJSONString(string, to: &bytes)
        case .stringConvertible(let convertible):
            Self.appendJSONString(convertible.description, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendJSON(element, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.appendJSONString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                if isRedacted(key) {
                    Self.appendJSONString("<redacted>", to: &bytes)
                } else {
                    appendJSON(dictionary[key]!, to: &bytes)
                }
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private func isRedacted(_ key: String) -> Bool {
        guard !redactedKeyFragments.isEmpty else { return false }
        let lowered = key.lowercased()
        return redactedKeyFragments.contains { lowered.contains($0) }
    }

    /// Text lines: `\n`, `\r` and other control characters become escapes.
    private static func appendEscaped(_ string: String, to bytes: inout [UInt8]) {
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(byte)
            case 0..<0x20, 0x7F: appendUnicodeEscape(byte, to: &bytes)
            default: bytes.append(byte)
            }
        }
    }

    private static func appendJSONString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20: appendUnicodeEscape(byte, to: &bytes)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func appendUnicodeEscape(_ byte: UInt8, to bytes: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: #"\u00"#.utf8)
        bytes.append(hex[Int(byte >> 4)])
        bytes.append(hex[Int(byte & 0x0F)])
    }
}
