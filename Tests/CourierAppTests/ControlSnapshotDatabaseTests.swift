import CourierApp
import CourierCore
import CourierLog
import CourierShards
import CourierStore
import CourierTesting
import Foundation
import Logging
import Testing

/// With PostgreSQL, a GC run stores the control snapshot there and deletes the control rows it covers; a
/// node whose early segments left the live log and whose local snapshots are lost replays each stream from
/// PostgreSQL's snapshot (eventlog.md §7) and keeps its users, tokens, settings, shard count and messages.
@Suite struct ControlSnapshotDatabaseTests {
    @Test func aRestartWithoutLocalSnapshotsReplaysFromPostgreSQLsSnapshots() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let directory = try TemporaryDirectory("courier-control-db-snapshots")
        defer { directory.remove() }
        let clock = ManualClock()
        // A data dir whose shard map says 2 shards.
        let data = try DataDirectory.openOrCreate(directory.path) { "0123456789ab" }
        do {
            let log = try LMDBEventLog(directory: data.logPath, clock: clock.function, logger: Logger(label: "test"))
            let change = ShardChangeEvent(action: .assigned, shardCount: 2, shard: 0, ownerNodeKey: "n", epoch: 1)
            _ = try await log.append(LogEntry(shard: Record.controlShard, epoch: 1, kind: .shardChange, payload: change.encoded()))
            await log.close()
        }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.segmentSizeBytes = 128 << 10
        configuration.logArchiveKeep = 0
        configuration.database = database.configuration
        configuration.replicationAck = .local
        configuration.gateway.sentDelay = .milliseconds(1)
        configuration.gateway.deliveredDelay = .milliseconds(1)
        configuration.gateway.readDelay = .milliseconds(1)
        let logger = Logger(label: "test.node")
        let node = try await Node.build(configuration: configuration, logger: logger, clock: clock.function, credentials: .testing())
        guard case .issued(let adminToken, _) = try await node.control.login(
            username: "admin", password: "secret", newPassword: "Adm1n!pass", client: "c")
        else { throw Failure("admin login") }
        #expect(try await node.control.createUser(username: "ops1", password: "Op3rator!1") == .done)
        #expect(try await node.control.patchApplicationSettings(["webhooks": ["max_batch_size": "10"]]) == .done)
        let body = String(repeating: "x", count: 300)
        for index in 0..<1_200 {
            clock.advance(microseconds: 1_000)
            let request = SendRequest(
                messageID: "m\(index)", to: "1631555\(1000 + index)", type: "text", content: Array("{\"body\":\"\(body)\"}".utf8))
            _ = try await node.shards.actor(for: request.to).send(request)
        }
        for _ in 0..<1_000 {
            var unread = 0
            for actor in node.shards.actors { unread += await actor.snapshot.messages.values.filter { $0.status != .read }.count }
            if unread == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        await node.messageGC.start()
        let result = await node.messageGC.waitForCompletion()
        #expect(result?.status == "complete", "\(result?.error ?? "")")
        let connection = try PGConnection(url: database.url)
        // PostgreSQL holds the control snapshot, and no control row it covers.
        let storedSeq = try #require(
            try connection.execute("SELECT seq FROM snapshots WHERE shard = 65535").rows.first?[0].flatMap { UInt64($0) })
        #expect(storedSeq == (await node.control.snapshotCoveredSeq))
        #expect(try connection.execute("SELECT count(*) FROM events WHERE shard = 65535 AND seq <= $1", [String(storedSeq)]).rows[0][0] == "0")
        // The early control segments left the live log.
        let firstControl = try #require(try node.log.read(shard: Record.controlShard, fromSeq: 1, limit: 1).first)
        #expect(firstControl.seq > 1 && firstControl.seq <= storedSeq + 1)
        // A control record after the snapshot, then the node stops with everything replicated.
        #expect(try await node.control.createUser(username: "ops2", password: "Op3rator!2") == .done)
        let before = await node.control.snapshot
        #expect(before.shardCount == 2)
        try await #require(node.replicator).waitReplicated(
            shard: Record.controlShard, seq: node.log.lastSeq(shard: Record.controlShard), timeout: .seconds(30))
        #expect(try PostgresEventReader.rebuildControl(connection) == before)
        var shardsBefore: [(seq: UInt64, messages: Set<String>)] = []
        for actor in node.shards.actors {
            let state = await actor.snapshot
            shardsBefore.append((state.appliedSeq, Set(state.messages.keys)))
            try await #require(node.replicator).waitReplicated(shard: actor.shard, seq: state.appliedSeq, timeout: .seconds(30))
        }
        // The shards' early segments left the live log too.
        let shardStreams = node.log.streams().filter { $0.shard != Record.controlShard }
        #expect(shardStreams.count == 2 && shardStreams.allSatisfy { $0.firstSeq > 1 })
        await node.replicator?.stop()
        await node.log.close()

        // The local snapshots are lost: without PostgreSQL's, no stream could be replayed.
        let store = SnapshotStore(directory: data.snapshotsPath)
        for file in store.all() { try FileManager.default.removeItem(atPath: file.path) }
        #expect(store.all().isEmpty)

        let restarted = try await Node.build(
            configuration: configuration, logger: logger, clock: clock.function, credentials: .testing(seed: 2))
        #expect(store.snapshots(shard: Record.controlShard).map(\.seq) == [storedSeq])
        #expect(restarted.shards.actors.count == 2)
        #expect(await restarted.control.snapshot == before)
        #expect(await restarted.control.user(named: "ops1") != nil)
        #expect(await restarted.control.user(named: "ops2") != nil)
        #expect(await restarted.control.authenticate(token: adminToken)?.username == "admin")
        #expect(await restarted.control.applicationSettings()["webhooks"]?["max_batch_size"] == .integer(10))
        for (index, actor) in restarted.shards.actors.enumerated() {
            let state = await actor.snapshot
            #expect(state.appliedSeq == shardsBefore[index].seq)
            #expect(Set(state.messages.keys) == shardsBefore[index].messages)
            #expect(store.snapshots(shard: actor.shard).count == 1)
        }
        await restarted.replicator?.stop()
        await restarted.log.close()
    }
}

private struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
