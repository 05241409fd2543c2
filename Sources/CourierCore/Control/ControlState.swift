/// Users and tokens: the fold of the control stream's `user-change` and `token` records (api.md §1.2, §3).
///
/// Pure: no clock, no I/O, no hashing. `handle` decides from a command and `now`; `apply` folds durable
/// records, the same path for live traffic and replay. Time comes only from records and `now`.
public struct ControlState: Hashable, Sendable {
    public static let adminUsername = "admin"
    /// The first-start password of `admin`; logins must replace it (api.md §3.1).
    public static let defaultAdminPassword = "secret"
    /// api.md §1.2 [D8].
    public static let tokenLifetime: Duration = .seconds(7 * 24 * 3600)
    /// api.md §1.2: the 101st live token of a user revokes its oldest.
    public static let maximumTokensPerUser = 100

    public internal(set) var appliedSeq: UInt64 = 0
    public internal(set) var epoch: UInt64 = 0
    public internal(set) var lastTimestamp = Timestamp.zero
    public internal(set) var users: [String: UserAccount] = [:]
    /// Live (and not yet pruned expired) tokens by digest.
    public internal(set) var tokens: [String: LiveToken] = [:]
    /// Each user's token digests in issue order, oldest first.
    public internal(set) var tokenOrder: [String: [String]] = [:]
    /// Settings sections (`settings-change`, api.md §9) by name: the stored value, for `application` only the
    /// overrides of the defaults (`ApplicationSettings.effective` shows them whole).
    public internal(set) var settings: JSONObject = [:]
    /// The registered number, its pending code request and two-step PINs (`account-change`, api.md §4).
    public internal(set) var account = AccountState()
    /// Control records of kinds this build does not know, counted, never fatal (eventlog.md §4).
    public internal(set) var unknownRecords = 0
    /// The shard count of the last `shard-change assigned` record (the shard map, kept in control snapshots).
    public internal(set) var shardCount: Int? = nil
    /// The control seq of a `reshard-begin` with no commit or abort yet. Not in snapshots: none is taken
    /// while it is set, so a restart always finds the begin in the log (`ShardMap`).
    public internal(set) var openReshard: UInt64? = nil
    /// Usernames whose `created` / `deleted` is appended but not yet applied, so a concurrent command does not
    /// decide on stale state. Cleared by `apply` or `appendFailed`; not part of the folded state.
    var pendingCreations: Set<String> = []
    var pendingDeletions: Set<String> = []
    /// Application settings changes appended but not yet applied, and the overrides as they will be after them:
    /// a concurrent PATCH validates against these (cross-field rules), not stale state. Not folded state.
    var pendingSettingsChanges = 0
    var pendingApplicationOverrides = JSONObject()
    /// Stored sections (api.md §9.2–§9.3) as they will be once their appended edits apply. Not folded state.
    var pendingSections: [String: JSONValue] = [:]

    public init() {}

    public static func == (lhs: ControlState, rhs: ControlState) -> Bool {
        lhs.appliedSeq == rhs.appliedSeq && lhs.epoch == rhs.epoch && lhs.lastTimestamp == rhs.lastTimestamp
            && lhs.users == rhs.users && lhs.tokens == rhs.tokens && lhs.tokenOrder == rhs.tokenOrder
            && lhs.settings == rhs.settings && lhs.unknownRecords == rhs.unknownRecords
            && lhs.account == rhs.account && lhs.shardCount == rhs.shardCount
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(appliedSeq)
        hasher.combine(users.count)
        hasher.combine(tokens.count)
    }

    /// The stored overrides of `/v1/settings/application`.
    public var applicationOverrides: JSONObject {
        settings[SettingsChangeEvent.applicationSection]?.objectValue ?? JSONObject()
    }

    /// `GET /v1/settings/application`: every field, defaults merged with the overrides (api.md §9.1).
    public var applicationSettings: JSONObject { ApplicationSettings.effective(applicationOverrides) }

    /// The user a token digest authenticates at `now`: nil when unknown, revoked or expired.
    public func authenticate(tokenDigest: String, now: Timestamp) -> AuthenticatedUser? {
        guard let token = tokens[tokenDigest], token.expiresAt > now, let user = users[token.username] else {
            return nil
        }
        return AuthenticatedUser(username: user.username, role: user.role, tokenDigest: tokenDigest)
    }

    /// The user's tokens that are live at `now`, oldest first.
    public func liveTokens(of username: String, now: Timestamp) -> [LiveToken] {
        (tokenOrder[username] ?? []).compactMap { tokens[$0] }.filter { $0.expiresAt > now }
    }

    /// Decides what a command does: appends to make, then the reply to give once they are durable.
    public mutating func handle(_ command: ControlCommand, now: Timestamp) -> [ControlEffect] {
        var effects: [ControlEffect] = []
        switch command {
        case .bootstrap(let hash):
            if users.isEmpty && pendingCreations.isEmpty {
                pendingCreations.insert(Self.adminUsername)
                effects.append(
                    .append(
                        .userChange(
                            UserChangeEvent(
                                action: .created,
                                username: Self.adminUsername,
                                passwordHash: hash,
                                passwordChangeRequired: true
                            )
                        )
                    )
                )
            }
            effects.append(.reply(.done))
        case .login(let grant):
            effects = handleLogin(grant, now: now)
        case .createUser(let username, let hash):
            if users[username] != nil || pendingCreations.contains(username) {
                effects.append(.reply(.rejected(.userExists)))
            } else {
                pendingCreations.insert(username)
                effects.append(
                    .append(.userChange(UserChangeEvent(action: .created, username: username, passwordHash: hash)))
                )
                effects.append(.reply(.done))
            }
        case .changePassword(let username, let hash, let kept):
            if isLive(username) {
                effects.append(
                    .append(
                        .userChange(
                            UserChangeEvent(
                                action: .passwordChanged,
                                username: username,
                                passwordHash: hash,
                                keptTokenDigest: kept
                            )
                        )
                    )
                )
                effects.append(.reply(.done))
            } else {
                effects.append(.reply(.rejected(.userNotFound)))
            }
        case .deleteUser(let username):
            if username == Self.adminUsername {
                effects.append(.reply(.rejected(.adminCannotBeDeleted)))
            } else if isLive(username) {
                pendingDeletions.insert(username)
                effects.append(.append(.userChange(UserChangeEvent(action: .deleted, username: username))))
                effects.append(.reply(.done))
            } else {
                effects.append(.reply(.rejected(.userNotFound)))
            }
        case .revokeToken(let digest):
            if let token = tokens[digest] {
                effects.append(
                    .append(
                        .token(
                            TokenEvent(
                                action: .revoked,
                                tokenDigest: digest,
                                username: token.username,
                                expiresAt: token.expiresAt
                            )
                        )
                    )
                )
            }
            effects.append(.reply(.done))
        case .patchApplicationSettings(let body):
            let base = pendingSettingsChanges > 0 ? pendingApplicationOverrides : applicationOverrides
            do {
                let patch = try ApplicationSettings.validatePatch(body, overrides: base)
                if !patch.members.isEmpty {
                    effects.append(contentsOf: settingsChange(SettingsChangeEvent(
                        section: SettingsChangeEvent.applicationSection, patch: patch), base: base))
                }
                effects.append(.reply(.done))
            } catch {
                effects.append(.reply(.rejected(.invalidSettings(error.problems))))
            }
        case .resetApplicationSettings:
            let base = pendingSettingsChanges > 0 ? pendingApplicationOverrides : applicationOverrides
            effects.append(contentsOf: settingsChange(SettingsChangeEvent(
                section: SettingsChangeEvent.applicationSection, patch: JSONObject(), reset: true), base: base))
            effects.append(.reply(.done))
        case .restore(let backup):
            effects = handleRestore(backup)
        case .editSection(let section, let edit):
            effects = handleSectionEdit(section: section, edit: edit)
        }
        return effects
    }

    /// Every settings section reset to the backup's value (sections the backup lacks reset to their defaults),
    /// users recreated or given the backup's hash (which revokes their tokens), users the backup lacks deleted.
    private mutating func handleRestore(_ backup: BackupDocument) -> [ControlEffect] {
        var effects: [ControlEffect] = []
        let application = SettingsChangeEvent.applicationSection
        let base = pendingSettingsChanges > 0 ? pendingApplicationOverrides : applicationOverrides
        effects += settingsChange(
            SettingsChangeEvent(
                section: application, patch: backup.settings[application]?.objectValue ?? JSONObject(), reset: true),
            base: base)
        var sections = Set(settings.keys).union(backup.settings.keys)
        sections.remove(application)
        for section in sections.sorted() {
            let event: SettingsChangeEvent
            if let value = backup.settings[section], value.objectValue == nil {
                event = SettingsChangeEvent(section: section, value: value.serialized())  // a whole non-object value
            } else {
                event = SettingsChangeEvent(
                    section: section, patch: backup.settings[section]?.objectValue ?? JSONObject(), reset: true)
            }
            effects.append(.append(.settingsChange(event)))
        }
        let kept = Set(backup.users.map(\.username))
        for username in users.keys.sorted() where !kept.contains(username) && isLive(username) {
            effects.append(.append(.userChange(UserChangeEvent(action: .deleted, username: username))))
        }
        for user in backup.users {
            let exists = isLive(user.username) || pendingCreations.contains(user.username)
            effects.append(
                .append(
                    .userChange(
                        UserChangeEvent(
                            action: exists ? .passwordChanged : .created,
                            username: user.username,
                            passwordHash: user.passwordHash,
                            passwordChangeRequired: user.passwordChangeRequired
                        )
                    )
                )
            )
        }
        effects += accountRestoreEvents(backup).map { .append($0) }
        effects.append(.reply(.done))
        return effects
    }

    /// Appends an application settings change, remembering what the overrides will be once it applies.
    private mutating func settingsChange(_ event: SettingsChangeEvent, base: JSONObject) -> [ControlEffect] {
        pendingSettingsChanges += 1
        pendingApplicationOverrides = Self.folded(base, event)
        return [.append(.settingsChange(event))]
    }

    /// A section's stored value after `event`: reset first, then the merge patch (RFC 7396).
    static func folded(_ stored: JSONObject, _ event: SettingsChangeEvent) -> JSONObject {
        var value = stored
        if event.reset {
            value = event.section == SettingsChangeEvent.applicationSection
                ? ApplicationSettings.resetOverrides(stored) : JSONObject()
        }
        if case .object(let patch) = event.parsedValue { value = ApplicationSettings.mergePatch(value, patch) }
        return value
    }

    private func handleLogin(_ grant: LoginGrant, now: Timestamp) -> [ControlEffect] {
        var effects: [ControlEffect] = []
        if !isLive(grant.username) || users[grant.username]?.passwordHash != grant.verifiedPasswordHash {
            // Reentrancy: the user was deleted or its password changed while the actor verified the old one.
            effects.append(.reply(.rejected(.invalidCredentials)))
        } else if users[grant.username]?.passwordChangeRequired == true && grant.newPasswordHash == nil {
            effects.append(.reply(.rejected(.passwordChangeRequired)))
        } else {
            if let newHash = grant.newPasswordHash {
                effects.append(
                    .append(
                        .userChange(
                            UserChangeEvent(
                                action: .passwordChanged,
                                username: grant.username,
                                passwordHash: newHash
                            )
                        )
                    )
                )
            }
            let expiresAt = now.advanced(by: Self.tokenLifetime)
            effects.append(
                .append(
                    .token(
                        TokenEvent(
                            action: .issued,
                            tokenDigest: grant.tokenDigest,
                            username: grant.username,
                            expiresAt: expiresAt
                        )
                    )
                )
            )
            effects.append(.reply(.tokenIssued(expiresAt: expiresAt)))
        }
        return effects
    }

    /// Forgets what `handle` reserved for a command whose append failed (nothing was logged).
    public mutating func appendFailed(_ command: ControlCommand) {
        switch command {
        case .bootstrap: pendingCreations.remove(Self.adminUsername)
        case .createUser(let username, _): pendingCreations.remove(username)
        case .deleteUser(let username): pendingDeletions.remove(username)
        case .patchApplicationSettings, .resetApplicationSettings, .restore:
            pendingSettingsChanges = max(0, pendingSettingsChanges - 1)
        case .editSection(let section, _):
            pendingSections[section] = nil
        case .login, .changePassword, .revokeToken: break
        }
    }

    private func isLive(_ username: String) -> Bool {
        users[username] != nil && !pendingDeletions.contains(username)
    }
}
