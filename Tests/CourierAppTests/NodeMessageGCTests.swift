import CourierApp
import CourierCore
import CourierLog
import CourierShards
import CourierStore
import CourierTesting
import Logging
import Testing

/// The all-in-one node with PostgreSQL: a GC run collects the read messages, stores the snapshot in
/// PostgreSQL and deletes the replicated rows below it; a rebuild from PostgreSQL alone matches.
@Suite struct NodeMessageGCTests {
    @Test func gcOnANodeWithPostgreSQLDeletesReplicatedRowsBelowTheSnapshot() async throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let directory = try TemporaryDirectory("courier-node-gc")
        defer { directory.remove() }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.database = database.configuration
        configuration.replicationAck = .replicated
        configuration.gateway.sentDelay = .milliseconds(1)
        configuration.gateway.deliveredDelay = .milliseconds(2)
        configuration.gateway.readDelay = .milliseconds(3)
        let node = try await Node.build(configuration: configuration, logger: Logger(label: "test.node"))
        let actor = node.shards.actors[0]
        for index in 0..<40 {
            let request = SendRequest(
                messageID: "m\(index)", to: "1631555\(1000 + index)", type: "text", content: Array("{\"body\":\"\(index)\"}".utf8))
            _ = try await node.shards.actor(for: request.to).send(request)
        }
        // The embedded network reads every message shortly after.
        for _ in 0..<500 where await actor.snapshot.messages.values.contains(where: { $0.status != .read }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await actor.snapshot.messages.values.allSatisfy { $0.status == .read })
        // Control records before the run: its control snapshot covers them.
        #expect(try await node.control.createUser(username: "ops1", password: "Op3rator!1") == .done)
        #expect(try await node.control.patchApplicationSettings(["webhooks": ["max_batch_size": "10"]]) == .done)
        await node.messageGC.start()
        let result = await node.messageGC.waitForCompletion()
        #expect(result?.status == "complete", "\(result?.error ?? "")")
        #expect(result?.messagesDeleted == 40)
        #expect((result?.databaseRowsDeleted ?? 0) >= 40 * 4)
        #expect(await actor.snapshot.messages.isEmpty)
        let connection = try PGConnection(url: database.url)
        let remaining = try connection.execute("SELECT min(seq) FROM events WHERE shard = 0").rows[0][0].flatMap { UInt64($0) }
        let snapshotSeq = try connection.execute("SELECT seq FROM snapshots WHERE shard = 0").rows.first?[0].flatMap { UInt64($0) }
        #expect(snapshotSeq != nil && remaining.map { $0 > snapshotSeq! } ?? true)
        #expect(try PostgresEventReader.rebuildShard(connection, shard: 0).messages.isEmpty)
        // The collected messages' query rows are gone too.
        #expect(try connection.execute("SELECT count(*) FROM messages").rows[0][0] == "0")
        // The control stream too: its snapshot is stored and its rows up to it are gone.
        let controlSnapshotSeq = try #require(
            try connection.execute("SELECT seq FROM snapshots WHERE shard = 65535").rows.first?[0].flatMap { UInt64($0) })
        #expect(controlSnapshotSeq == (await node.control.snapshotCoveredSeq))
        #expect(try connection.execute("SELECT count(*) FROM events WHERE shard = 65535 AND seq <= $1", [String(controlSnapshotSeq)]).rows[0][0] == "0")
        // Rebuilt from PostgreSQL (the snapshot, then the rows after it), the control state is the node's.
        let controlLast = node.log.lastSeq(shard: Record.controlShard)
        try await #require(node.replicator).waitReplicated(shard: Record.controlShard, seq: controlLast, timeout: .seconds(30))
        let rebuilt = try PostgresEventReader.rebuildControl(connection)
        #expect(rebuilt.appliedSeq == controlLast)
        #expect(rebuilt == (await node.control.snapshot))
        #expect(rebuilt.users["ops1"] != nil)
        await node.replicator?.stop()
        await node.log.close()
    }
}
