/// What `POST /v1/settings/backup` seals and `/restore` brings back (api.md §10): a versioned JSON document
/// `{"format": 1, "settings": {section: stored value}, "users": [{"username", "password_hash",
/// "password_change_required"}]}`. Passwords appear only as their salted slow hashes. Account registration
/// (`wa_id`) travels inside the `application` section's overrides.
public struct BackupDocument: Hashable, Sendable {
    public static let format: Int64 = 1

    public struct User: Hashable, Sendable {
        public var username: String
        public var passwordHash: String
        public var passwordChangeRequired: Bool

        public init(username: String, passwordHash: String, passwordChangeRequired: Bool = false) {
            self.username = username
            self.passwordHash = passwordHash
            self.passwordChangeRequired = passwordChangeRequired
        }
    }

    /// Every settings section by name, as `ControlState.settings` stores it.
    public var settings: JSONObject
    /// Sorted by username.
    public var users: [User]

    public init(settings: JSONObject, users: [User]) {
        self.settings = settings
        self.users = users
    }

    /// The backup of `state`: every settings section and every user.
    public init(_ state: ControlState) {
        settings = state.settings
        users = state.users.values.sorted { $0.username < $1.username }.map {
            User(username: $0.username, passwordHash: $0.passwordHash, passwordChangeRequired: $0.passwordChangeRequired)
        }
    }

    public var json: JSONValue {
        .object([
            "format": .integer(Self.format),
            "settings": .object(settings),
            "users": .array(users.map {
                .object([
                    "username": .string($0.username),
                    "password_hash": .string($0.passwordHash),
                    "password_change_required": .bool($0.passwordChangeRequired),
                ])
            }),
        ])
    }

    public func serialized() -> [UInt8] { json.serialized() }

    /// Parses and fully validates a decrypted document; throws with the first problem found.
    public init(parsing bytes: [UInt8]) throws(BackupDocumentError) {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw BackupDocumentError("the backup is not JSON") }
        guard let object = root.objectValue else { throw BackupDocumentError("the backup is not a JSON object") }
        guard case .integer(let format)? = object["format"] else { throw BackupDocumentError("the backup has no format") }
        guard format == Self.format else {
            throw BackupDocumentError("the backup has format \(format); this Courier reads format \(Self.format) only")
        }
        guard let settings = object["settings"]?.objectValue else {
            throw BackupDocumentError("the backup's settings are not an object")
        }
        if let application = settings[SettingsChangeEvent.applicationSection] {
            guard let overrides = application.objectValue else {
                throw BackupDocumentError("the backup's application settings are not an object")
            }
            do {
                _ = try ApplicationSettings.validatePatch(
                    overrides, overrides: ApplicationSettings.resetOverrides(overrides))
            } catch {
                let details = error.problems.map(\.details).joined(separator: "; ")
                throw BackupDocumentError("the backup's application settings are not valid: \(details)")
            }
        }
        guard let entries = object["users"]?.arrayValue else { throw BackupDocumentError("the backup has no users") }
        var users: [User] = []
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            guard let username = entry["username"]?.stringValue, UsernameRules.problem(username) == nil
                    || username == ControlState.adminUsername
            else { throw BackupDocumentError("users[\(index)].username is missing or not valid") }
            guard let hash = entry["password_hash"]?.stringValue, !hash.isEmpty else {
                throw BackupDocumentError("users[\(index)].password_hash is missing")
            }
            var mustChange = false
            if let flag = entry["password_change_required"] {
                guard case .bool(let value) = flag else {
                    throw BackupDocumentError("users[\(index)].password_change_required must be a boolean")
                }
                mustChange = value
            }
            guard seen.insert(username).inserted else { throw BackupDocumentError("user \(username) appears twice") }
            users.append(User(username: username, passwordHash: hash, passwordChangeRequired: mustChange))
        }
        guard seen.contains(ControlState.adminUsername) else {
            throw BackupDocumentError("the backup has no \(ControlState.adminUsername) user")
        }
        self.settings = settings
        self.users = users
    }
}

/// A decrypted backup that is not a valid document; nothing was changed.
public struct BackupDocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
