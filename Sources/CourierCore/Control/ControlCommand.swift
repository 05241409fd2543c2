/// What the control actor asks `ControlState` to decide about users and tokens (api.md §3).
///
/// Commands carry hashes, never passwords or tokens: the actor hashes and verifies off the actor first, so the
/// state machine stays fast and pure.
public enum ControlCommand: Hashable, Sendable {
    /// First start: creates `admin` with `passwordHash` (the hash of `secret`), flagged so that logins must change
    /// it (api.md §3.1). Does nothing once any user exists.
    case bootstrap(adminPasswordHash: String)
    /// A login whose password was verified; optionally changes the password, then issues a token.
    case login(LoginGrant)
    case createUser(username: String, passwordHash: String)
    /// Revokes the user's tokens except `keptTokenDigest` (the caller's own, api.md §3.4).
    case changePassword(username: String, passwordHash: String, keptTokenDigest: String?)
    case deleteUser(username: String)
    /// Logout: revokes one token (api.md §3.2).
    case revokeToken(digest: String)
    /// `PATCH /v1/settings/application` (api.md §9.1): the body, validated as a whole against the current settings.
    case patchApplicationSettings(JSONObject)
    /// `DELETE /v1/settings/application`: every field but `wa_id` back to its default.
    case resetApplicationSettings
    /// `POST /v1/settings/restore` (api.md §10): a decrypted, validated backup replaces every settings section and
    /// every user (users missing from the backup are deleted); every token is revoked. One atomic batch.
    case restore(BackupDocument)
    /// One of the stored settings sections of api.md §9.2–§9.3 (profile, business, media providers): an edit
    /// decided against the section as it will be after pending edits, so concurrent edits never lose one.
    case editSection(section: String, edit: SectionEdit)
}

/// How `editSection` changes a stored settings section.
public enum SectionEdit: Hashable, Sendable {
    /// The whole value.
    case replace(JSONValue)
    /// Adds or replaces the `items` (objects with a `name`) in the section's `key` array, by name.
    case upsertByName(key: String, items: [JSONObject])
    /// Removes the item called `name` from the section's `key` array; rejected with 404/1006 when absent.
    case removeByName(key: String, name: String)
    /// Sets the given members of an object section, keeping the others.
    case merge(JSONObject)
}

/// A login that passed password verification.
public struct LoginGrant: Hashable, Sendable {
    public var username: String
    /// The stored hash the password was verified against; if it changed meanwhile, the login fails.
    public var verifiedPasswordHash: String
    /// Set when the login carried `new_password` (already checked against the policy).
    public var newPasswordHash: String?
    /// SHA-256 of the token the caller will receive.
    public var tokenDigest: String

    public init(username: String, verifiedPasswordHash: String, newPasswordHash: String? = nil, tokenDigest: String) {
        self.username = username
        self.verifiedPasswordHash = verifiedPasswordHash
        self.newPasswordHash = newPasswordHash
        self.tokenDigest = tokenDigest
    }
}

/// Why a user or token command was refused; the HTTP layer maps each to the spec's error (api.md §3, §15).
public enum ControlRejection: Hashable, Sendable {
    /// Unknown user or wrong password (401, 1005).
    case invalidCredentials
    /// `admin` still has the first-start password and the login had no `new_password` (401, 1024).
    case passwordChangeRequired
    /// Too many failed logins for this username and client address (429, 1015, `Retry-After`).
    case tooManyFailures(retryAfterSeconds: Int64)
    /// A password breaks the policy, or `new_password` equals the current one (400, 1009); the rule, no secret.
    case invalidPassword(rule: String)
    /// 409, 1004.
    case userExists
    /// 404, 1006.
    case userNotFound
    /// Deleting `admin` (400, 1009).
    case adminCannotBeDeleted
    /// A settings PATCH broke api.md §9.1 (400, 1009 / 1010): every problem found.
    case invalidSettings([APIProblem])
    /// A backup that could not be decrypted (wrong password, damaged or truncated) or is not a valid document
    /// (400, 1009); nothing changed.
    case backupUnreadable(String)
    /// `removeByName` of an item the section does not hold (404, 1006).
    case sectionItemNotFound(String)
}

public enum ControlReply: Hashable, Sendable {
    case done
    /// The login's token is durable; it expires at `expiresAt`.
    case tokenIssued(expiresAt: Timestamp)
    case rejected(ControlRejection)
}

public enum ControlEffect: Hashable, Sendable {
    /// Append this event to the control stream; every append of one command goes in one atomic batch.
    case append(Event)
    /// The answer, given once every append of the command is durable.
    case reply(ControlReply)
}

/// api.md §1.2 roles [Courier choice]: `admin` is the admin, every other user a user.
public enum UserRole: String, Hashable, Sendable {
    case admin, user

    public init(username: String) {
        self = username == ControlState.adminUsername ? .admin : .user
    }
}

/// A user as the control stream knows it.
public struct UserAccount: Hashable, Sendable {
    public var username: String
    public var passwordHash: String
    public var passwordChangeRequired: Bool
    public var createdAt: Timestamp

    public var role: UserRole { UserRole(username: username) }
}

/// A live bearer token, known only by its digest.
public struct LiveToken: Hashable, Sendable {
    public var digest: String
    public var username: String
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    /// The seq of the `token issued` record: the issue order the 100-token cap evicts by.
    public var issueSeq: UInt64
}

/// Who a valid bearer token belongs to.
public struct AuthenticatedUser: Hashable, Sendable {
    public var username: String
    public var role: UserRole
    /// The presented token's digest: logout revokes it, a password change keeps it.
    public var tokenDigest: String

    public init(username: String, role: UserRole, tokenDigest: String) {
        self.username = username
        self.role = role
        self.tokenDigest = tokenDigest
    }
}
