import CourierCore
import Logging

/// What a login returns: the token (shown to the caller once, never stored) or why there is none.
public enum LoginReply: Hashable, Sendable {
    case issued(token: String, expiresAt: Timestamp)
    case rejected(ControlRejection)
}

extension ControlActor {
    /// `POST /v1/users/login` (api.md §3.1): checks the throttle, verifies the password off the actor, applies
    /// `newPassword` if given, and issues a token once its event is durable.
    public func login(
        username: String,
        password: String,
        newPassword: String?,
        client: String
    ) async throws -> LoginReply {
        if let retry = throttle.retryAfterSeconds(username: username, client: client, now: clock()) {
            return .rejected(.tooManyFailures(retryAfterSeconds: retry))
        }
        let stored = state.users[username]?.passwordHash
        let verified = try await verifyOffActor(password, against: stored)
        // Reentrancy: the user may have changed while verifying; `handle(.login)` re-checks the hash verified.
        guard let stored, verified else {
            throttle.recordFailure(username: username, client: client, now: clock())
            if throttle.retryAfterSeconds(username: username, client: client, now: clock()) != nil {
                logger.info(
                    "login blocked after repeated failures",
                    metadata: ["user.name": "\(username)", "client.address": "\(client)"]
                )
            }
            return .rejected(.invalidCredentials)
        }
        throttle.recordSuccess(username: username, client: client)
        var newHash: String? = nil
        if let newPassword {
            if let rule = credentials.passwordProblem(newPassword) {
                return .rejected(.invalidPassword(rule: "new_password: " + rule))
            }
            guard newPassword != password else {
                return .rejected(.invalidPassword(rule: "new_password must differ from the current password"))
            }
            newHash = try await hashOffActor(newPassword)
        }
        let token = credentials.newToken()
        let grant = LoginGrant(
            username: username,
            verifiedPasswordHash: stored,
            newPasswordHash: newHash,
            tokenDigest: credentials.tokenDigest(token)
        )
        switch try await run(.login(grant)) {
        case .tokenIssued(let expiresAt):
            if newHash != nil { logger.info("password changed at login", metadata: ["user.name": "\(username)"]) }
            return .issued(token: token, expiresAt: expiresAt)
        case .rejected(let rejection):
            return .rejected(rejection)
        case .done:
            preconditionFailure("control: a login replied without a token")
        }
    }

    /// The user a bearer token belongs to, or nil when it is unknown, revoked or expired.
    public nonisolated func authenticate(token: String) async -> AuthenticatedUser? {
        let digest = credentials.tokenDigest(token)
        return await authenticate(tokenDigest: digest)
    }

    func authenticate(tokenDigest: String) -> AuthenticatedUser? {
        state.authenticate(tokenDigest: tokenDigest, now: clock())
    }

    /// `POST /v1/users/logout`: revokes one token.
    public func logout(tokenDigest: String) async throws {
        _ = try await run(.revokeToken(digest: tokenDigest))
    }

    /// `GET /v1/users/{username}`.
    public func user(named username: String) -> UserAccount? {
        state.users[username]
    }

    /// `POST /v1/users` (api.md §3.3). The username's format is the caller's to check (`UsernameRules`).
    public func createUser(username: String, password: String) async throws -> ControlReply {
        if let rule = credentials.passwordProblem(password) { return .rejected(.invalidPassword(rule: rule)) }
        // Spares a slow hash for an obvious duplicate; `handle` decides for real.
        guard state.users[username] == nil else { return .rejected(.userExists) }
        let hash = try await hashOffActor(password)
        let reply = try await run(.createUser(username: username, passwordHash: hash))
        if reply == .done { logger.info("user created", metadata: ["user.name": "\(username)"]) }
        return reply
    }

    /// `PUT /v1/users/{username}` (api.md §3.4): revokes the user's tokens except `keptTokenDigest`.
    public func changePassword(
        username: String,
        password: String,
        keptTokenDigest: String?
    ) async throws -> ControlReply {
        if let rule = credentials.passwordProblem(password) { return .rejected(.invalidPassword(rule: rule)) }
        guard state.users[username] != nil else { return .rejected(.userNotFound) }
        let hash = try await hashOffActor(password)
        let reply = try await run(
            .changePassword(username: username, passwordHash: hash, keptTokenDigest: keptTokenDigest)
        )
        if reply == .done { logger.info("password changed", metadata: ["user.name": "\(username)"]) }
        return reply
    }

    /// `DELETE /v1/users/{username}` (api.md §3.4): revokes all of the user's tokens.
    public func deleteUser(username: String) async throws -> ControlReply {
        let reply = try await run(.deleteUser(username: username))
        if reply == .done { logger.info("user deleted", metadata: ["user.name": "\(username)"]) }
        return reply
    }

    private func verifyOffActor(_ password: String, against stored: String?) async throws -> Bool {
        let hash: String
        if let stored {
            hash = stored
        } else if let decoyHash {
            hash = decoyHash
        } else {
            hash = try await hashOffActor("decoy password for unknown usernames")
            decoyHash = hash
        }
        let credentials = credentials
        // Reports a mismatch for unknown users too, after the same amount of work.
        return try await offActor { credentials.verifyPassword(password, hash) } && stored != nil
    }
}
