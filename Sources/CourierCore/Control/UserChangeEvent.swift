/// `user-change` (kind 10, control stream): a user was created, changed its password, or was deleted
/// (api.md §3). The password only ever appears as its salted slow hash (eventlog.md §2).
public struct UserChangeEvent: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable {
        case created
        case passwordChanged = "password-changed"
        case deleted
    }

    public var action: Action
    public var username: String
    /// The PHC hash string of the new password; empty for `deleted`.
    public var passwordHash: String
    /// Logins must set `new_password` until the password changes: only the first-start `admin` (api.md §3.1).
    public var passwordChangeRequired: Bool
    /// `password-changed` revokes every token of the user except this one (the caller's, api.md §3.4);
    /// nil revokes them all.
    public var keptTokenDigest: String?

    public init(
        action: Action,
        username: String,
        passwordHash: String = "",
        passwordChangeRequired: Bool = false,
        keptTokenDigest: String? = nil
    ) {
        self.action = action
        self.username = username
        self.passwordHash = passwordHash
        self.passwordChangeRequired = passwordChangeRequired
        self.keptTokenDigest = keptTokenDigest
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 32 + username.utf8.count + passwordHash.utf8.count)
        writer.write(action.rawValue)
        writer.write(username)
        writer.write(passwordHash)
        writer.write(passwordChangeRequired)
        writer.write(keptTokenDigest)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .userChange)
        let name = try reader.readString()
        guard let action = Action(rawValue: name) else {
            throw RecordError(.malformedPayload, "unknown user-change action '\(name)'")
        }
        self.action = action
        username = try reader.readString()
        passwordHash = try reader.readString()
        passwordChangeRequired = try reader.readBool()
        keptTokenDigest = try reader.readOptionalString()
        try reader.expectEnd()
    }
}
