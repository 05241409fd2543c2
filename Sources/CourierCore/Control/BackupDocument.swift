/// What `POST /v1/settings/backup` seals and `/restore` brings back (api.md §10): a versioned JSON document
/// `{"format": 1, "settings": {section: stored value}, "users": [{"username", "password_hash",
/// "password_change_required"}], "account": {"registration": {"cc", "phone_number", "vname"}, "two_step":
/// {wa_id: pin_hash}}}`. Passwords and PINs appear only as their salted slow hashes. A backup without `account`
/// (made before registration existed) leaves the account as it is on restore.
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
    /// The registration and two-step PINs; nil in backups made before they existed.
    public var account: Account?

    public init(settings: JSONObject, users: [User], account: Account? = nil) {
        self.settings = settings
        self.users = users
        self.account = account
    }

    /// The backup of `state`: every settings section and every user.
    public init(_ state: ControlState) {
        settings = state.settings
        users = state.users.values.sorted { $0.username < $1.username }.map {
            User(username: $0.username, passwordHash: $0.passwordHash, passwordChangeRequired: $0.passwordChangeRequired)
        }
        account = Account(state.account)
    }

    public var json: JSONValue {
        var object: JSONObject = [
            "format": .integer(Self.format),
            "settings": .object(settings),
            "users": .array(users.map {
                .object([
                    "username": .string($0.username),
                    "password_hash": .string($0.passwordHash),
                    "password_change_required": .bool($0.passwordChangeRequired),
                ])
            }),
        ]
        if let account { object["account"] = account.json }
        return .object(object)
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
        if let account = object["account"] { self.account = try Account(parsing: account) } else { self.account = nil }
    }
}

/// A decrypted backup that is not a valid document; nothing was changed.
public struct BackupDocumentError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension BackupDocument {
    /// The account part of a backup: the registered number and the two-step PIN hashes by `wa_id`.
    public struct Account: Hashable, Sendable {
        public struct Registration: Hashable, Sendable {
            public var cc: String
            public var phoneNumber: String
            public var vname: String

            public init(cc: String, phoneNumber: String, vname: String) {
                self.cc = cc
                self.phoneNumber = phoneNumber
                self.vname = vname
            }
        }

        public var registration: Registration?
        public var twoStepPINs: [String: String]

        public init(registration: Registration?, twoStepPINs: [String: String]) {
            self.registration = registration
            self.twoStepPINs = twoStepPINs
        }

        init(_ state: AccountState) {
            registration = state.registration.map { Registration(cc: $0.cc, phoneNumber: $0.phoneNumber, vname: $0.vname) }
            twoStepPINs = state.twoStepPINs
        }

        var json: JSONValue {
            var object: JSONObject = [:]
            if let registration {
                object["registration"] = [
                    "cc": .string(registration.cc), "phone_number": .string(registration.phoneNumber),
                    "vname": .string(registration.vname),
                ]
            }
            var pins = JSONObject()
            for (waID, hash) in twoStepPINs.sorted(by: { $0.key < $1.key }) { pins[waID] = .string(hash) }
            object["two_step"] = .object(pins)
            return .object(object)
        }

        init(parsing value: JSONValue) throws(BackupDocumentError) {
            guard let object = value.objectValue else { throw BackupDocumentError("the backup's account is not an object") }
            if let registered = object["registration"], registered != .null {
                guard let cc = registered["cc"]?.stringValue, AccountValidation.isCountryCode(cc),
                    let number = registered["phone_number"]?.stringValue,
                    AccountValidation.isPhoneNumber(number, cc: cc),
                    let vname = registered["vname"]?.stringValue
                else { throw BackupDocumentError("the backup's account registration is not valid") }
                registration = Registration(cc: cc, phoneNumber: number, vname: vname)
            } else {
                registration = nil
            }
            var pins: [String: String] = [:]
            if let twoStep = object["two_step"] {
                guard let entries = twoStep.objectValue else {
                    throw BackupDocumentError("the backup's account two_step is not an object")
                }
                for (waID, hash) in entries.members {
                    guard let hash = hash.stringValue, !hash.isEmpty, !waID.isEmpty, AccountValidation.isDigits(waID) else {
                        throw BackupDocumentError("the backup's two-step entry \(waID) is not valid")
                    }
                    pins[waID] = hash
                }
            }
            twoStepPINs = pins
        }

        /// A `wa_id` as `cc` and number for an event: the registered number's own split when it is that number.
        static func split(_ waID: String, registered: Registration?) -> (cc: String, phoneNumber: String) {
            if let registered, registered.cc + registered.phoneNumber == waID { return (registered.cc, registered.phoneNumber) }
            return ("", waID)
        }
    }
}
