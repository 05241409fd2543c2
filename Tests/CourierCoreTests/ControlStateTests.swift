import CourierCore
import Testing

/// Drives `ControlState` as the actor does: handle, turn appends into records, apply, reply.
struct ControlDriver {
    var state = ControlState()
    var records: [Record] = []
    var now = Timestamp(microseconds: 1_795_000_000_000_000)

    mutating func run(_ command: ControlCommand) throws -> ControlReply {
        var reply: ControlReply? = nil
        var appended: [Record] = []
        for effect in state.handle(command, now: now) {
            switch effect {
            case .append(let event):
                appended.append(
                    Record(
                        shard: Record.controlShard,
                        seq: UInt64(records.count + appended.count + 1),
                        epoch: 1,
                        timestamp: now,
                        kind: event.kind,
                        payload: event.encodedPayload()
                    )
                )
            case .reply(let answer):
                reply = answer
            }
        }
        for record in appended { try state.apply(record) }
        records += appended
        return try #require(reply)
    }

    /// Logs in with a fresh token digest; returns it when issued.
    mutating func login(_ username: String, hash: String, newHash: String? = nil, digest: String) throws -> ControlReply
    {
        try run(
            .login(
                LoginGrant(
                    username: username,
                    verifiedPasswordHash: hash,
                    newPasswordHash: newHash,
                    tokenDigest: digest
                )
            )
        )
    }

    mutating func advance(seconds: Int64) { now = now.advanced(by: .seconds(seconds)) }

    func replayed() throws -> ControlState {
        var fresh = ControlState()
        for record in records { try fresh.apply(record) }
        return fresh
    }

    /// Bootstrapped, admin's password changed to `admin2`, plus `ops1` (hash `ops1`).
    static func withUsers() throws -> ControlDriver {
        var driver = ControlDriver()
        _ = try driver.run(.bootstrap(adminPasswordHash: "h-secret"))
        _ = try driver.login("admin", hash: "h-secret", newHash: "h-admin2", digest: "t-admin")
        _ = try driver.run(.createUser(username: "ops1", passwordHash: "h-ops1"))
        return driver
    }
}

@Suite struct ControlStateTests {
    @Test func bootstrapCreatesTheAdminOnceFlaggedMustChange() throws {
        var driver = ControlDriver()
        #expect(try driver.run(.bootstrap(adminPasswordHash: "h-secret")) == .done)
        let admin = try #require(driver.state.users["admin"])
        #expect(admin.passwordHash == "h-secret")
        #expect(admin.passwordChangeRequired)
        #expect(admin.role == .admin)
        #expect(driver.records.count == 1)
        #expect(try driver.run(.bootstrap(adminPasswordHash: "other")) == .done)
        #expect(driver.records.count == 1)
        #expect(try driver.replayed() == driver.state)
    }

    @Test func defaultPasswordNeedsANewPasswordAndIssuesNothingWithout() throws {
        var driver = ControlDriver()
        _ = try driver.run(.bootstrap(adminPasswordHash: "h-secret"))
        #expect(try driver.login("admin", hash: "h-secret", digest: "t1") == .rejected(.passwordChangeRequired))
        #expect(driver.records.count == 1)
        #expect(driver.state.tokens.isEmpty)

        let reply = try driver.login("admin", hash: "h-secret", newHash: "h-new", digest: "t1")
        #expect(reply == .tokenIssued(expiresAt: driver.now.advanced(by: .seconds(7 * 86_400))))
        #expect(driver.records.count == 3)
        #expect(try UserChangeEvent(decoding: driver.records[1].payload).action == .passwordChanged)
        #expect(try TokenEvent(decoding: driver.records[2].payload).action == .issued)
        #expect(driver.state.users["admin"]?.passwordHash == "h-new")
        #expect(driver.state.users["admin"]?.passwordChangeRequired == false)
        #expect(
            driver.state.authenticate(tokenDigest: "t1", now: driver.now)
                == AuthenticatedUser(username: "admin", role: .admin, tokenDigest: "t1")
        )
        // Later logins need no new password.
        #expect(
            try driver.login("admin", hash: "h-new", digest: "t2")
                == .tokenIssued(expiresAt: driver.now.advanced(by: ControlState.tokenLifetime))
        )
    }

    @Test func loginVerifiedAgainstAStaleHashOrAMissingUserFails() throws {
        var driver = try ControlDriver.withUsers()
        let count = driver.records.count
        #expect(try driver.login("ops1", hash: "h-old", digest: "t") == .rejected(.invalidCredentials))
        #expect(try driver.login("nobody", hash: "h-ops1", digest: "t") == .rejected(.invalidCredentials))
        #expect(driver.records.count == count)
    }

    @Test func createdUsersAreNeverForcedToChangeAndDuplicatesAreRejected() throws {
        var driver = try ControlDriver.withUsers()
        let ops = try #require(driver.state.users["ops1"])
        #expect(!ops.passwordChangeRequired)
        #expect(ops.role == .user)
        #expect(
            try driver.login("ops1", hash: "h-ops1", digest: "t-ops")
                == .tokenIssued(expiresAt: driver.now.advanced(by: ControlState.tokenLifetime))
        )
        #expect(try driver.run(.createUser(username: "ops1", passwordHash: "x")) == .rejected(.userExists))
        #expect(try driver.run(.createUser(username: "admin", passwordHash: "x")) == .rejected(.userExists))
        // Case-sensitive.
        #expect(try driver.run(.createUser(username: "OPS1", passwordHash: "x")) == .done)
    }

    @Test func pendingCreationsAndDeletionsAreReservedUntilAppliedOrFailed() throws {
        var state = try ControlDriver.withUsers().state
        let create = ControlCommand.createUser(username: "ops2", passwordHash: "h")
        #expect(state.handle(create, now: .zero).count == 2)
        #expect(state.handle(create, now: .zero) == [.reply(.rejected(.userExists))])
        state.appendFailed(create)
        #expect(state.handle(create, now: .zero).count == 2)

        let delete = ControlCommand.deleteUser(username: "ops1")
        #expect(state.handle(delete, now: .zero).count == 2)
        #expect(state.handle(delete, now: .zero) == [.reply(.rejected(.userNotFound))])
        let login = LoginGrant(username: "ops1", verifiedPasswordHash: "h-ops1", tokenDigest: "t")
        #expect(state.handle(.login(login), now: .zero) == [.reply(.rejected(.invalidCredentials))])
        #expect(
            state.handle(.changePassword(username: "ops1", passwordHash: "h", keptTokenDigest: nil), now: .zero)
                == [.reply(.rejected(.userNotFound))]
        )
        state.appendFailed(delete)
        #expect(state.handle(.login(login), now: .zero).count == 2)
    }

    @Test func passwordChangeRevokesTheOtherTokensOnly() throws {
        var driver = try ControlDriver.withUsers()
        for digest in ["a", "b", "c"] { _ = try driver.login("ops1", hash: "h-ops1", digest: digest) }
        #expect(
            try driver.run(.changePassword(username: "ops1", passwordHash: "h-ops1b", keptTokenDigest: "b")) == .done
        )
        #expect(driver.state.users["ops1"]?.passwordHash == "h-ops1b")
        #expect(driver.state.authenticate(tokenDigest: "a", now: driver.now) == nil)
        #expect(driver.state.authenticate(tokenDigest: "b", now: driver.now)?.username == "ops1")
        #expect(driver.state.authenticate(tokenDigest: "c", now: driver.now) == nil)
        #expect(driver.state.authenticate(tokenDigest: "t-admin", now: driver.now)?.username == "admin")
        // Without a kept token (admin changing someone else's, or a login with new_password) all go.
        #expect(try driver.run(.changePassword(username: "ops1", passwordHash: "h3", keptTokenDigest: nil)) == .done)
        #expect(driver.state.liveTokens(of: "ops1", now: driver.now).isEmpty)
        #expect(
            try driver.run(.changePassword(username: "ghost", passwordHash: "h", keptTokenDigest: nil))
                == .rejected(.userNotFound)
        )
        #expect(try driver.replayed() == driver.state)
    }

    @Test func loginWithNewPasswordRevokesEveryEarlierToken() throws {
        var driver = try ControlDriver.withUsers()
        _ = try driver.login("ops1", hash: "h-ops1", digest: "old")
        _ = try driver.login("ops1", hash: "h-ops1", newHash: "h-ops1b", digest: "new")
        #expect(driver.state.liveTokens(of: "ops1", now: driver.now).map(\.digest) == ["new"])
    }

    @Test func deleteRevokesEveryTokenAndAdminCannotBeDeleted() throws {
        var driver = try ControlDriver.withUsers()
        for digest in ["a", "b"] { _ = try driver.login("ops1", hash: "h-ops1", digest: digest) }
        #expect(try driver.run(.deleteUser(username: "admin")) == .rejected(.adminCannotBeDeleted))
        #expect(try driver.run(.deleteUser(username: "ghost")) == .rejected(.userNotFound))
        #expect(try driver.run(.deleteUser(username: "ops1")) == .done)
        #expect(driver.state.users["ops1"] == nil)
        #expect(driver.state.tokens["a"] == nil && driver.state.tokens["b"] == nil)
        #expect(driver.state.tokenOrder["ops1"] == nil)
        #expect(try driver.run(.deleteUser(username: "ops1")) == .rejected(.userNotFound))
        // The name can be used again, with no token carried over.
        #expect(try driver.run(.createUser(username: "ops1", passwordHash: "h")) == .done)
        #expect(driver.state.liveTokens(of: "ops1", now: driver.now).isEmpty)
        #expect(try driver.replayed() == driver.state)
    }

    @Test func theHundredAndFirstTokenRevokesTheOldest() throws {
        var driver = try ControlDriver.withUsers()
        for index in 0...100 {
            _ = try driver.login("ops1", hash: "h-ops1", digest: "t\(index)")
            driver.advance(seconds: 1)
        }
        let live = driver.state.liveTokens(of: "ops1", now: driver.now)
        #expect(live.count == ControlState.maximumTokensPerUser)
        #expect(live.first?.digest == "t1")
        #expect(live.last?.digest == "t100")
        #expect(driver.state.tokens["t0"] == nil)
        #expect(driver.state.authenticate(tokenDigest: "t-admin", now: driver.now) != nil)
        #expect(try driver.replayed() == driver.state)
    }

    @Test func tokensExpireAfterSevenDaysAndExpiredOnesDoNotCount() throws {
        var driver = try ControlDriver.withUsers()
        _ = try driver.login("ops1", hash: "h-ops1", digest: "early")
        let expiry = try #require(driver.state.tokens["early"]?.expiresAt)
        #expect(expiry == driver.now.advanced(by: .seconds(604_800)))
        #expect(driver.state.authenticate(tokenDigest: "early", now: expiry.advanced(by: .microseconds(-1))) != nil)
        #expect(driver.state.authenticate(tokenDigest: "early", now: expiry) == nil)
        driver.advance(seconds: 604_800)
        for index in 0..<100 { _ = try driver.login("ops1", hash: "h-ops1", digest: "t\(index)") }
        // The expired token was pruned before counting, so all 100 new ones are live.
        #expect(driver.state.tokens["early"] == nil)
        #expect(driver.state.liveTokens(of: "ops1", now: driver.now).count == 100)
        #expect(driver.state.tokens["t0"] != nil)
    }

    @Test func logoutRevokesOneTokenAndUnknownTokensAppendNothing() throws {
        var driver = try ControlDriver.withUsers()
        _ = try driver.login("ops1", hash: "h-ops1", digest: "a")
        _ = try driver.login("ops1", hash: "h-ops1", digest: "b")
        #expect(try driver.run(.revokeToken(digest: "a")) == .done)
        #expect(driver.state.authenticate(tokenDigest: "a", now: driver.now) == nil)
        #expect(driver.state.authenticate(tokenDigest: "b", now: driver.now) != nil)
        let count = driver.records.count
        #expect(try driver.run(.revokeToken(digest: "a")) == .done)
        #expect(driver.records.count == count)
        #expect(try driver.replayed() == driver.state)
    }

    @Test func recordsDecidedOnStaleStateFoldToNothing() throws {
        var driver = try ControlDriver.withUsers()
        let before = driver.state
        // A token issued to, a password changed for, and a second creation of users the log already settled.
        let events: [Event] = [
            .token(
                TokenEvent(
                    action: .issued,
                    tokenDigest: "x",
                    username: "ghost",
                    expiresAt: driver.now.advanced(by: .seconds(60))
                )
            ),
            .userChange(UserChangeEvent(action: .passwordChanged, username: "ghost", passwordHash: "h")),
            .userChange(UserChangeEvent(action: .created, username: "ops1", passwordHash: "other")),
            .token(TokenEvent(action: .revoked, tokenDigest: "nope", username: "ops1", expiresAt: .zero)),
        ]
        for event in events {
            try driver.state.apply(
                Record(
                    shard: Record.controlShard,
                    seq: driver.state.appliedSeq + 1,
                    epoch: 1,
                    timestamp: driver.now,
                    kind: event.kind,
                    payload: event.encodedPayload()
                )
            )
        }
        #expect(driver.state.users == before.users)
        #expect(driver.state.tokens == before.tokens)
        #expect(driver.state.appliedSeq == before.appliedSeq + 4)
    }

    @Test func otherControlKindsAdvanceTheSeqAndUnknownKindsAreCounted() throws {
        var state = ControlState()
        let change = ShardChangeEvent(action: .assigned, shardCount: 1, shard: 0, ownerNodeKey: "n:1", epoch: 1)
        try state.apply(
            Record(
                shard: Record.controlShard,
                seq: 1,
                epoch: 1,
                timestamp: .zero,
                kind: .shardChange,
                payload: change.encoded()
            )
        )
        try state.apply(
            Record(shard: Record.controlShard, seq: 2, epoch: 1, timestamp: .zero, kindCode: 999, payload: [1])
        )
        #expect(state.appliedSeq == 2)
        #expect(state.unknownRecords == 1)
        #expect(state.users.isEmpty)
        #expect(throws: RecordError.self) {
            try state.apply(
                Record(shard: Record.controlShard, seq: 3, epoch: 1, timestamp: .zero, kind: .token, payload: [1])
            )
        }
        #expect(state.appliedSeq == 2)
    }

    @Test func replayOfAMixedHistoryEqualsTheLiveState() throws {
        var driver = try ControlDriver.withUsers()
        for index in 0..<120 {
            let user = index % 3 == 0 ? "admin" : "ops1"
            let hash = user == "admin" ? "h-admin2" : driver.state.users["ops1"]!.passwordHash
            _ = try driver.login(user, hash: hash, digest: "d\(index)")
            if index % 17 == 0 { _ = try driver.run(.revokeToken(digest: "d\(index - 1)")) }
            if index % 40 == 39 {
                _ = try driver.run(
                    .changePassword(username: "ops1", passwordHash: "h\(index)", keptTokenDigest: "d\(index)")
                )
            }
            driver.advance(seconds: 3600)
        }
        _ = try driver.run(.createUser(username: "temp", passwordHash: "h"))
        _ = try driver.login("temp", hash: "h", digest: "temp-token")
        _ = try driver.run(.deleteUser(username: "temp"))
        #expect(try driver.replayed() == driver.state)
        #expect(driver.state.authenticate(tokenDigest: "temp-token", now: driver.now) == nil)
    }
}
