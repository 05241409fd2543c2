/// `token` (kind 11, control stream): a bearer token was issued at login or revoked at logout
/// (api.md §1.2, §3). The token itself is never logged, only its SHA-256 (eventlog.md §2).
public struct TokenEvent: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable {
        case issued, revoked
    }

    public var action: Action
    /// Lowercase hex SHA-256 of the token.
    public var tokenDigest: String
    public var username: String
    /// When the token stops being accepted: issue time + 7 days.
    public var expiresAt: Timestamp

    public init(action: Action, tokenDigest: String, username: String, expiresAt: Timestamp) {
        self.action = action
        self.tokenDigest = tokenDigest
        self.username = username
        self.expiresAt = expiresAt
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 96 + username.utf8.count)
        writer.write(action.rawValue)
        writer.write(tokenDigest)
        writer.write(username)
        writer.write(expiresAt.microseconds)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .token)
        let name = try reader.readString()
        guard let action = Action(rawValue: name) else {
            throw RecordError(.malformedPayload, "unknown token action '\(name)'")
        }
        self.action = action
        tokenDigest = try reader.readString()
        username = try reader.readString()
        expiresAt = Timestamp(microseconds: try reader.readInt64())
        try reader.expectEnd()
    }
}
