import CourierApp
import CourierCore
import CourierLog
import CourierShards
import CourierStore
import CourierTesting
import Logging
import Testing

/// `replication_ack=replicated`: a send is acknowledged only once PostgreSQL committed it, and an
/// outage yields an error within the timeout, never a false success (eventlog.md §3, §6).
@Suite struct ReplicatedAckTests {
    @Test func nodeWithPostgreSQLMigratesReplicatesAndAcksAfterTheCommit() async throws {
        let server = try PrivatePostgres()
        defer { server.stop() }
        let database = try TestDatabase.create(serverURL: server.serverURL)
        let directory = try TemporaryDirectory("courier-node")
        defer { directory.remove() }
        var configuration = NodeConfiguration()
        configuration.dataDirectory = directory.path
        configuration.listenPort = 0
        configuration.minimumFreeBytes = 0
        configuration.database = database.configuration
        configuration.replicationAck = .replicated
        configuration.replicationAckTimeout = .milliseconds(400)
        let node = try await Node.build(configuration: configuration, logger: Logger(label: "test.node"))
        let connection = try PGConnection(url: database.url)
        #expect(try Migrator().currentVersion(connection) == Migration.latestVersion)

        func send(_ index: Int) async throws -> ShardReply {
            let request = SendRequest(
                messageID: "m\(index)", to: "16315551000", type: "text", content: Array("{\"body\":\"\(index)\"}".utf8))
            return try await node.shards.actor(for: "16315551000").send(request)
        }
        #expect(try await send(1) == .accepted(messageID: "m1", replay: false))
        // Acknowledged means committed in PostgreSQL already: no waiting here.
        #expect(try connection.execute("SELECT count(*) FROM events WHERE shard = 0").rows[0][0] == "1")
        // The messages projection follows in its own transaction.
        for _ in 0..<300 where try connection.execute("SELECT count(*) FROM messages WHERE id = 'm1'").rows[0][0] != "1" {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try connection.execute("SELECT count(*) FROM messages WHERE id = 'm1'").rows[0][0] == "1")

        try server.pause()
        do {
            _ = try await send(2)
            Issue.record("a send was acknowledged while PostgreSQL was down")
        } catch let error as ShardError {
            #expect(error.code == .notReplicated)
        }
        try server.resume()
        // The replicator reconnects with backoff (up to 5 s); wait for it to ship the unacknowledged send
        // rather than racing the 400 ms acknowledgement timeout against the backoff on a busy machine.
        let watcher = try PGConnection(url: database.url)
        for _ in 0..<300 where try watcher.execute("SELECT count(*) FROM events WHERE kind = 1").rows[0][0] != "2" {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await send(3) == .accepted(messageID: "m3", replay: false))
        try await #require(node.replicator).waitProjectionCaughtUp(timeout: .seconds(30))
        let after = try PGConnection(url: database.url)
        // The send whose acknowledgement timed out was durable locally and is replicated after the outage.
        #expect(try after.execute("SELECT id FROM messages ORDER BY seq").rows.map { $0[0] } == ["m1", "m2", "m3"])
        await node.replicator?.stop()
        await node.log.close()
    }
}
