/// `settings-change` (kind 8, control stream): a settings section changed (api.md §9). The value is a JSON merge
/// patch (RFC 7396) of the section's stored value, as compact JSON; `reset` first returns the section to its
/// defaults (eventlog.md §2).
public struct SettingsChangeEvent: Hashable, Sendable {
    /// `/v1/settings/application` (api.md §9.1).
    public static let applicationSection = "application"

    /// `application`, later `media-providers`, `profile`, `business`, `certificates`.
    public var section: String
    /// A merge patch as compact JSON; `{}` (or empty) changes nothing.
    public var value: [UInt8]
    public var reset: Bool

    public init(section: String, value: [UInt8], reset: Bool = false) {
        self.section = section
        self.value = value
        self.reset = reset
    }

    public init(section: String, patch: JSONObject, reset: Bool = false) {
        self.init(section: section, value: JSONValue.object(patch).serialized(), reset: reset)
    }

    /// The value parsed; `{}` when empty. Decoding already checked that it is JSON.
    public var parsedValue: JSONValue {
        value.isEmpty ? .object(JSONObject()) : ((try? JSONParser.parse(value)) ?? .object(JSONObject()))
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 16 + section.utf8.count + value.count)
        writer.write(section)
        writer.write(bytes: value)
        writer.write(reset)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .settingsChange)
        section = try reader.readString()
        value = try reader.readBytes()
        reset = try reader.readBool()
        try reader.expectEnd()
        if !value.isEmpty {
            do {
                _ = try JSONParser.parse(value)
            } catch {
                throw RecordError(.malformedPayload, "settings-change value of '\(section)' is not JSON")
            }
        }
    }
}
