import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Logging
import Testing

@Suite struct ControlActorTests {
    let logger = Logger(label: "test.control")
    let clock = ManualClock()
    let storage = InMemoryLogStorage()

    func makeActor(
        configuration: ControlActor.Configuration = .init(),
        seed: UInt64 = 1
    ) -> (ControlActor, InMemoryEventLog) {
        let log = InMemoryEventLog(storage: storage, clock: clock.function)
        let actor = ControlActor(
            log: log,
            credentials: .testing(seed: seed),
            configuration: configuration,
            clock: clock.function,
            logger: logger
        )
        return (actor, log)
    }

    /// A started actor whose admin password is already `Adm1n!pass`; returns the admin's token.
    func startedWithAdmin() async throws -> (ControlActor, String) {
        let (actor, _) = makeActor()
        _ = try await actor.start()
        let reply = try await actor.login(username: "admin", password: "secret", newPassword: "Adm1n!pass", client: "c")
        guard case .issued(let token, _) = reply else { throw TestFailure("admin login: \(reply)") }
        return (actor, token)
    }

    @Test func firstStartBootstrapsAdminAndARestartReplaysIt() async throws {
        let (actor, _) = makeActor()
        #expect(try await actor.start() == 0)
        #expect(storage.allRecords.count == 1)
        let admin = try #require(await actor.user(named: "admin"))
        #expect(admin.passwordChangeRequired)
        #expect(admin.role == .admin)

        let (restarted, _) = makeActor(seed: 2)
        #expect(try await restarted.start() == 1)
        #expect(storage.allRecords.count == 1)
        #expect(await restarted.snapshot == actor.snapshot)
    }

    @Test func adminMustChangeTheDefaultPasswordAtLogin() async throws {
        let (actor, _) = makeActor()
        _ = try await actor.start()
        #expect(
            try await actor.login(username: "admin", password: "secret", newPassword: nil, client: "c")
                == .rejected(.passwordChangeRequired)
        )
        #expect(
            try await actor.login(username: "admin", password: "wrong", newPassword: nil, client: "c")
                == .rejected(.invalidCredentials)
        )
        #expect(
            try await actor.login(username: "admin", password: "secret", newPassword: "short", client: "c")
                == .rejected(.invalidPassword(rule: "new_password: password must be 8 to 64 characters long"))
        )
        #expect(
            try await actor.login(username: "admin", password: "secret", newPassword: "secret", client: "c")
                == .rejected(.invalidPassword(rule: "new_password: password must be 8 to 64 characters long"))
        )
        #expect(storage.allRecords.count == 1)

        let reply = try await actor.login(username: "admin", password: "secret", newPassword: "Adm1n!pass", client: "c")
        guard case .issued(let token, let expiresAt) = reply else {
            Issue.record("expected a token, got \(reply)")
            return
        }
        #expect(token.count == 43)
        #expect(expiresAt == clock.now.advanced(by: .seconds(604_800)))
        #expect(await actor.authenticate(token: token)?.username == "admin")
        #expect(await actor.authenticate(token: token + "x") == nil)
        #expect(
            try await actor.login(username: "admin", password: "secret", newPassword: nil, client: "c")
                == .rejected(.invalidCredentials)
        )
        #expect(
            try await actor.login(username: "admin", password: "Adm1n!pass", newPassword: "Adm1n!pass", client: "c")
                == .rejected(.invalidPassword(rule: "new_password must differ from the current password"))
        )
        // The password change and the token are events: a restart keeps both.
        let (restarted, _) = makeActor(seed: 9)
        #expect(try await restarted.start() == 3)
        #expect(await restarted.authenticate(token: token)?.role == .admin)
        #expect(await restarted.snapshot == actor.snapshot)
    }

    @Test func usersAreCreatedChangedAndDeletedDurably() async throws {
        let (actor, adminToken) = try await startedWithAdmin()
        #expect(
            try await actor.createUser(username: "ops1", password: "weak")
                == .rejected(.invalidPassword(rule: "password must be 8 to 64 characters long"))
        )
        #expect(try await actor.createUser(username: "ops1", password: "Str0ng!pass") == .done)
        #expect(try await actor.createUser(username: "ops1", password: "Str0ng!pass") == .rejected(.userExists))
        guard
            case .issued(let first, _) = try await actor.login(
                username: "ops1",
                password: "Str0ng!pass",
                newPassword: nil,
                client: "c"
            ),
            case .issued(let second, _) = try await actor.login(
                username: "ops1",
                password: "Str0ng!pass",
                newPassword: nil,
                client: "c"
            )
        else { throw TestFailure("ops1 login failed") }
        let keep = try #require(await actor.authenticate(token: second))
        #expect(
            try await actor.changePassword(
                username: "ops1",
                password: "N3w!password",
                keptTokenDigest: keep.tokenDigest
            ) == .done
        )
        #expect(await actor.authenticate(token: first) == nil)
        #expect(await actor.authenticate(token: second)?.username == "ops1")
        #expect(
            try await actor.login(username: "ops1", password: "Str0ng!pass", newPassword: nil, client: "c")
                == .rejected(.invalidCredentials)
        )
        #expect(
            try await actor.changePassword(username: "ghost", password: "N3w!password", keptTokenDigest: nil)
                == .rejected(.userNotFound)
        )

        #expect(try await actor.deleteUser(username: "admin") == .rejected(.adminCannotBeDeleted))
        #expect(try await actor.deleteUser(username: "ops1") == .done)
        #expect(await actor.authenticate(token: second) == nil)
        #expect(await actor.user(named: "ops1") == nil)
        #expect(try await actor.deleteUser(username: "ops1") == .rejected(.userNotFound))

        let (restarted, _) = makeActor(seed: 3)
        _ = try await restarted.start()
        #expect(await restarted.snapshot == actor.snapshot)
        #expect(await restarted.authenticate(token: adminToken)?.username == "admin")
    }

    @Test func logoutRevokesOnlyThePresentedToken() async throws {
        let (actor, token) = try await startedWithAdmin()
        guard
            case .issued(let other, _) = try await actor.login(
                username: "admin",
                password: "Adm1n!pass",
                newPassword: nil,
                client: "c"
            )
        else { throw TestFailure("second login failed") }
        let user = try #require(await actor.authenticate(token: token))
        try await actor.logout(tokenDigest: user.tokenDigest)
        #expect(await actor.authenticate(token: token) == nil)
        #expect(await actor.authenticate(token: other) != nil)
        let (restarted, _) = makeActor(seed: 4)
        _ = try await restarted.start()
        #expect(await restarted.authenticate(token: token) == nil)
        #expect(await restarted.authenticate(token: other) != nil)
    }

    @Test func tokensExpireAfterSevenDaysByTheInjectedClock() async throws {
        let (actor, token) = try await startedWithAdmin()
        clock.advance(microseconds: 604_800_000_000 - 1)
        #expect(await actor.authenticate(token: token) != nil)
        clock.advance(microseconds: 1)
        #expect(await actor.authenticate(token: token) == nil)
    }

    @Test func tenFailedLoginsBlockTheUsernameAndAddressForFiveMinutes() async throws {
        let (actor, _) = try await startedWithAdmin()
        for _ in 0..<10 {
            #expect(
                try await actor.login(username: "admin", password: "nope", newPassword: nil, client: "10.0.0.9")
                    == .rejected(.invalidCredentials)
            )
        }
        // Blocked even with the right password; another address is not.
        #expect(
            try await actor.login(username: "admin", password: "Adm1n!pass", newPassword: nil, client: "10.0.0.9")
                == .rejected(.tooManyFailures(retryAfterSeconds: 300))
        )
        guard
            case .issued = try await actor.login(
                username: "admin",
                password: "Adm1n!pass",
                newPassword: nil,
                client: "10.0.0.8"
            )
        else { throw TestFailure("other address was blocked") }
        clock.advance(microseconds: 120_000_000)
        #expect(
            try await actor.login(username: "admin", password: "Adm1n!pass", newPassword: nil, client: "10.0.0.9")
                == .rejected(.tooManyFailures(retryAfterSeconds: 180))
        )
        clock.advance(microseconds: 180_000_000)
        guard
            case .issued = try await actor.login(
                username: "admin",
                password: "Adm1n!pass",
                newPassword: nil,
                client: "10.0.0.9"
            )
        else { throw TestFailure("block did not end") }
        // Unknown usernames are counted too, and nothing about failures is logged.
        let records = storage.allRecords.count
        for _ in 0..<10 { _ = try await actor.login(username: "ghost", password: "x", newPassword: nil, client: "c") }
        #expect(
            try await actor.login(username: "ghost", password: "x", newPassword: nil, client: "c")
                == .rejected(.tooManyFailures(retryAfterSeconds: 300))
        )
        #expect(storage.allRecords.count == records)
    }

    @Test func otherWritersOfTheControlStreamAreFoldedPast() async throws {
        let (actor, log) = makeActor()
        let change = ShardChangeEvent(action: .assigned, shardCount: 1, shard: 0, ownerNodeKey: "n:1", epoch: 1)
        _ = try await log.append(
            LogEntry(shard: Record.controlShard, epoch: 1, kind: .shardChange, payload: change.encoded())
        )
        #expect(try await actor.start() == 1)
        #expect(await actor.snapshot.appliedSeq == 2)
        // A record appended behind the actor's back after start is caught up with on its next append.
        _ = try await log.append(
            LogEntry(shard: Record.controlShard, epoch: 1, kind: .shardChange, payload: change.encoded())
        )
        guard
            case .issued = try await actor.login(
                username: "admin",
                password: "secret",
                newPassword: "Adm1n!pass",
                client: "c"
            )
        else { throw TestFailure("login failed") }
        #expect(await actor.snapshot.appliedSeq == 5)
    }

    @Test func aFailedAppendChangesNothingAndReleasesTheName() async throws {
        let (actor, log) = makeActor()
        _ = try await actor.start()
        log.failNextAppends(1)
        await #expect(throws: ShardError(.storage, "injected append failure")) {
            try await actor.createUser(username: "ops1", password: "Str0ng!pass")
        }
        #expect(await actor.user(named: "ops1") == nil)
        #expect(try await actor.createUser(username: "ops1", password: "Str0ng!pass") == .done)
    }

    @Test func aMissedReplicationAckIsNotReplicated() async throws {
        var configuration = ControlActor.Configuration()
        configuration.acknowledgement = { _ in throw CancellationError() }
        let (actor, _) = makeActor(configuration: configuration)
        await #expect(throws: ShardError(.notReplicated, "PostgreSQL did not confirm control seq 1 in time")) {
            try await actor.start()
        }
        // The event is durable locally all the same.
        #expect(await actor.user(named: "admin") != nil)
    }

    @Test func concurrentLoginsAllGetWorkingTokens() async throws {
        let (actor, _) = try await startedWithAdmin()
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    guard
                        case .issued(let token, _) = try await actor.login(
                            username: "admin",
                            password: "Adm1n!pass",
                            newPassword: nil,
                            client: "c"
                        )
                    else { return nil }
                    return token
                }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(tokens.count == 40 && tokens.allSatisfy { $0 != nil })
        for token in tokens.compactMap({ $0 }) { #expect(await actor.authenticate(token: token) != nil) }
        let (restarted, _) = makeActor(seed: 5)
        _ = try await restarted.start()
        #expect(await restarted.snapshot == actor.snapshot)
    }

    @Test func applicationSettingsArePatchedResetAndReplayedAfterARestart() async throws {
        let (actor, _) = try await startedWithAdmin()
        #expect(await actor.applicationSettings() == ApplicationSettings.defaults)
        let before = storage.allRecords.count
        #expect(
            try await actor.patchApplicationSettings(["webhooks": ["max_batch_size": "10"], "callback_persist": false])
                == .done
        )
        #expect(storage.allRecords.count == before + 1)
        #expect(
            try await actor.patchApplicationSettings(["heartbeat_interval": 30])
                == .rejected(
                    .invalidSettings([
                        APIProblem(code: 1009, details: "unhealthy_interval (30) must be greater than heartbeat_interval (30)")
                    ])
                )
        )
        #expect(storage.allRecords.count == before + 1)
        let settings = await actor.applicationSettings()
        #expect(settings["webhooks"]?["max_batch_size"] == 10)
        #expect(settings["callback_persist"] == false)

        let (restarted, _) = makeActor(seed: 6)
        _ = try await restarted.start()
        #expect(await restarted.applicationSettings() == settings)
        #expect(await restarted.snapshot == actor.snapshot)

        #expect(try await restarted.resetApplicationSettings() == .done)
        #expect(await restarted.applicationSettings() == ApplicationSettings.defaults)
        let (again, _) = makeActor(seed: 7)
        _ = try await again.start()
        #expect(await again.applicationSettings() == ApplicationSettings.defaults)
        #expect(await again.snapshot == restarted.snapshot)
    }
}

@Suite struct ControlActorLMDBTests {
    @Test func concurrentCommandsOverLMDBApplyInSeqOrderAndReplay() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let logger = Logger(label: "test.control")
        let log = try fixture.open()
        let actor = ControlActor(log: log, credentials: .testing(), clock: fixture.clock.function, logger: logger)
        _ = try await actor.start()
        _ = try await actor.login(username: "admin", password: "secret", newPassword: "Adm1n!pass", client: "c")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                group.addTask {
                    if index % 3 == 0 {
                        _ = try await actor.createUser(username: "user\(index)", password: "Str0ng!pass")
                    } else {
                        _ = try await actor.login(
                            username: "admin",
                            password: "Adm1n!pass",
                            newPassword: nil,
                            client: "c"
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let live = await actor.snapshot
        #expect(live.users.count == 21)
        #expect(live.tokens.count == 41)
        #expect(live.appliedSeq == log.lastSeq(shard: Record.controlShard))
        await log.close()
        let reopened = try fixture.open()
        let restarted = ControlActor(
            log: reopened,
            credentials: .testing(seed: 8),
            clock: fixture.clock.function,
            logger: logger
        )
        #expect(try await restarted.start() == Int(live.appliedSeq))
        #expect(await restarted.snapshot == live)
        await reopened.close()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
