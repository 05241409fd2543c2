import CourierCore
import CourierLog
import CourierStore
import CourierTesting
import Foundation
import Logging
import Testing

/// Replication against the real PostgreSQL `make test` starts (and a private one for outages).
@Suite struct ReplicationTests {
    let logger = Logger(label: "test.replication")

    /// A mixed history over three shards and the control stream: sends, statuses, mark-reads, shard changes.
    func writeHistory(_ log: any EventLog, clock: ManualClock, count: Int) async throws {
        for index in 0..<count {
            clock.advance(microseconds: 1000)
            let shard = UInt16(index % 3)
            let id = "m\(index)"
            let to = "1631555\(String(1000 + index % 100))"
            var entries = [LogEntry(shard: shard, epoch: 1, kind: .send, payload: SendEvent(messageID: id, to: to, type: "text", content: Array("{\"body\":\"\(index)\"}".utf8)).encoded())]
            if index % 2 == 0 {
                let status = StatusEvent(messageID: id, waID: to, status: index % 4 == 0 ? .read : .delivered, networkTimestamp: clock.now)
                entries.append(LogEntry(shard: shard, epoch: 1, kind: .status, payload: status.encoded()))
            }
            if index % 10 == 0 { entries.append(LogEntry(shard: shard, epoch: 1, kind: .markRead, payload: MarkReadEvent(messageID: "ABG\(index)").encoded())) }
            _ = try await log.append(entries)
        }
        let change = ShardChangeEvent(action: .assigned, shardCount: 4, shard: 0, ownerNodeKey: "n:1", epoch: 1)
        _ = try await log.append(LogEntry(shard: Record.controlShard, epoch: 1, kind: .shardChange, payload: change.encoded()))
    }

    func waitCaughtUp(_ replicator: Replicator, _ log: any EventLog) async throws {
        for stream in log.streams() {
            try await replicator.waitReplicated(shard: stream.shard, seq: stream.lastSeq, timeout: .seconds(30))
        }
    }

    @Test func replicatedEventsEqualTheLogEventByEventAndReplayEqually() async throws {
        let replicated = try ReplicatedLogFixture(logger: logger)
        defer { replicated.remove() }
        let (database, fixture, log, replicator) = (replicated.database, replicated.fixture, replicated.log, replicated.replicator)
        try await writeHistory(log, clock: fixture.clock, count: 600)
        replicator.wake()
        try await waitCaughtUp(replicator, log)

        let connection = try PGConnection(url: database.url)
        for stream in log.streams() {
            let local = try log.read(shard: stream.shard, fromSeq: 1, limit: 10_000)
            let remote = try PostgresEventReader.records(connection, shard: stream.shard, fromSeq: 1, limit: 10_000)
            #expect(remote == local, "stream \(stream.shard) differs")
            let checksums = try connection.execute(
                "SELECT checksum FROM events WHERE shard = $1 ORDER BY seq", [String(stream.shard)]).rows.map { $0[0] }
            #expect(checksums == local.map { String($0.checksum) })
            // Rebuilding the shard from PostgreSQL alone gives the state the local log gives.
            if stream.shard != Record.controlShard {
                var fromLog = ShardState(shard: stream.shard)
                for record in local { _ = try fromLog.apply(record) }
                #expect(try PostgresEventReader.rebuildShard(connection, shard: stream.shard) == fromLog)
            }
        }
        let watermarks = try connection.execute("SELECT shard, replicated_seq FROM stream_watermarks ORDER BY shard").rows
        #expect(watermarks.map { $0[1] } == log.streams().map { String($0.lastSeq) })
        // The messages projection holds each message's highest status (maintained after shipping).
        try await replicator.waitProjectionCaughtUp(timeout: .seconds(30))
        let statuses = try connection.execute("SELECT id, status FROM messages WHERE id IN ('m0', 'm2', 'm3')  ORDER BY id").rows
        #expect(statuses.map { $0[1] } == ["read", "delivered", "accepted"])
        #expect(try connection.execute("SELECT count(*) FROM messages").rows[0][0] == "600")
        #expect(replicator.status.streams.values.allSatisfy { $0.lagEvents == 0 })
        await replicator.stop()
        await log.close()
    }

    @Test func restartResumesFromPostgreSQLsWatermarkWithoutDuplicates() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try Migrator().upgrade(PGConnection(url: database.url))
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        try await writeHistory(log, clock: fixture.clock, count: 90)
        for round in 0..<2 {
            let replicator = Replicator(
                log: log, database: database.configuration, configuration: .init(nodeKey: "test:1"),
                clock: fixture.clock.function, logger: logger)
            replicator.start()
            try await waitCaughtUp(replicator, log)
            await replicator.stop()
            if round == 0 { try await writeHistory(log, clock: fixture.clock, count: 30) }
        }
        let connection = try PGConnection(url: database.url)
        for stream in log.streams() {
            let seqs = try connection.execute("SELECT seq FROM events WHERE shard = $1 ORDER BY seq", [String(stream.shard)]).rows.map { $0[0] }
            #expect(seqs == (1...stream.lastSeq).map { String($0) })
        }
        await log.close()
    }

    @Test func outageIsCaughtUpWithNoGapAndNoDuplicateAndReplicatedAcksWait() async throws {
        let server = try PrivatePostgres()
        defer { server.stop() }
        let database = try TestDatabase.create(serverURL: server.serverURL)
        try Migrator().upgrade(PGConnection(url: database.url))
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        var configuration = Replicator.Configuration(nodeKey: "test:1")
        configuration.maximumBackoff = .milliseconds(400)
        configuration.maximumBatchRecords = 50  // many transactions, so the outage lands between some
        let replicator = Replicator(log: log, database: database.configuration, configuration: configuration, clock: fixture.clock.function, logger: logger)
        replicator.start()
        try await writeHistory(log, clock: fixture.clock, count: 300)
        try await waitCaughtUp(replicator, log)

        try server.pause()
        // Local mode keeps accepting; a replicated-mode ack must not claim success meanwhile.
        try await writeHistory(log, clock: fixture.clock, count: 300)
        let last = log.lastSeq(shard: 0)
        await #expect(throws: StoreError.self) {
            try await replicator.waitReplicated(shard: 0, seq: last, timeout: .milliseconds(300))
        }
        #expect(replicator.status.connected == false || replicator.status.streams[0]?.lagEvents ?? 0 > 0)
        #expect(replicator.status.streams[0].map { $0.lagEvents > 0 } ?? true)

        try server.resume()
        try await waitCaughtUp(replicator, log)
        let connection = try PGConnection(url: database.url)
        for stream in log.streams() {
            let counts = try connection.execute(
                "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM events WHERE shard = $1", [String(stream.shard)]).rows[0]
            #expect(counts == [String(stream.lastSeq), String(stream.lastSeq), "1", String(stream.lastSeq)])
        }
        await replicator.stop()
        await log.close()
    }

    @Test func divergentRecordStopsTheStreamAndIsRecorded() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try PGConnection(url: database.url)
        try Migrator().upgrade(connection)
        // Another writer already put a different record at shard 0 seq 2.
        try connection.execute(
            "INSERT INTO events VALUES (0, 2, 1, 0, 1, '\\x01'::bytea, 12345)")
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        let replicator = Replicator(log: log, database: database.configuration, configuration: .init(nodeKey: "test:1"), clock: fixture.clock.function, logger: logger)
        replicator.start()
        for index in 0..<5 { _ = try await log.append(.testSend(shard: 0, index: index)) }
        _ = try await log.append(.testSend(shard: 1, index: 0))
        replicator.wake()
        try await replicator.waitReplicated(shard: 1, seq: 1, timeout: .seconds(30))
        await #expect(throws: StoreError.self) {
            try await replicator.waitReplicated(shard: 0, seq: 5, timeout: .seconds(30))
        }
        let divergences = try connection.execute("SELECT shard, seq, stored_checksum FROM divergences").rows
        #expect(divergences == [["0", "2", "12345"]])
        #expect(replicator.status.streams[0]?.stoppedReason?.contains("divergent") == true)
        #expect(try connection.execute("SELECT count(*) FROM events WHERE shard = 0 AND seq > 2").rows[0][0] == "0")
        #expect(try connection.execute("SELECT checksum FROM events WHERE shard = 0 AND seq = 2").rows[0][0] == "12345")
        await replicator.stop()
        await log.close()
    }

    @Test func recordsOfAStaleEpochAreFenced() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let connection = try PGConnection(url: database.url)
        try Migrator().upgrade(connection)
        try connection.execute("INSERT INTO shard_map (shard, epoch, owner, shard_count) VALUES (0, 2, 'other:1', 1)")
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        let replicator = Replicator(log: log, database: database.configuration, configuration: .init(nodeKey: "test:1"), clock: fixture.clock.function, logger: logger)
        replicator.start()
        _ = try await log.append(.testSend(shard: 0, index: 0, epoch: 1))
        replicator.wake()
        await #expect(throws: StoreError.self) {
            try await replicator.waitReplicated(shard: 0, seq: 1, timeout: .seconds(30))
        }
        #expect(replicator.status.streams[0]?.stoppedReason?.contains("fenced") == true)
        #expect(try connection.execute("SELECT count(*) FROM events").rows[0][0] == "0")
        await replicator.stop()
        await log.close()
    }
}

@Suite struct ControlProjectionTests {
    @Test func usersAndSettingsProjectionsFollowTheControlStream() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        try Migrator().upgrade(PGConnection(url: database.url))
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        func user(_ action: UserChangeEvent.Action, _ name: String) -> LogEntry {
            let event = UserChangeEvent(action: action, username: name, passwordHash: "$scrypt$x", passwordChangeRequired: false)
            return LogEntry(shard: Record.controlShard, epoch: 1, kind: .userChange, payload: event.encoded())
        }
        func settings(_ patch: JSONObject, reset: Bool = false) -> LogEntry {
            let event = SettingsChangeEvent(section: "application", patch: patch, reset: reset)
            return LogEntry(shard: Record.controlShard, epoch: 1, kind: .settingsChange, payload: event.encoded())
        }
        _ = try await log.append([user(.created, "admin"), user(.created, "ops1"), user(.created, "ops2")])
        _ = try await log.append([user(.passwordChanged, "admin"), user(.deleted, "ops1")])
        _ = try await log.append([settings(["callback_persist": false, "webhooks": ["url": "https://a.example/hook"]])])
        _ = try await log.append([settings(["webhooks": ["url": .null], "sent_status": true])])
        let replicator = Replicator(
            log: log, database: database.configuration, configuration: .init(nodeKey: "test:1"), clock: fixture.clock.function,
            logger: Logger(label: "test"))
        replicator.start()
        try await replicator.waitReplicated(shard: Record.controlShard, seq: log.lastSeq(shard: Record.controlShard), timeout: .seconds(30))
        let connection = try PGConnection(url: database.url)
        #expect(try connection.execute("SELECT username, role FROM users ORDER BY username").rows == [["admin", "admin"], ["ops2", "user"]])
        let value = try #require(try connection.execute("SELECT value::text FROM settings WHERE section = 'application'").rows.first?[0])
        // jsonb orders keys by length, then bytes.
        #expect(try JSONParser.parse(Array(value.utf8)) == ["webhooks": [:], "sent_status": true, "callback_persist": false])
        #expect(try connection.execute("SELECT count(*) FROM users WHERE role = 'admin'").rows[0][0] == "1")
        await replicator.stop()
        await log.close()
    }
}
