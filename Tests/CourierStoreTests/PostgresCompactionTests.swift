import CourierCore
import CourierLog
import CourierStore
import CourierTesting
import Foundation
import Logging
import Testing

/// Message GC's PostgreSQL step against a real server: the snapshot is stored, the stream's rows up to
/// it go in batches, older snapshots go, and a rebuild from PostgreSQL alone still gives the log's state.
@Suite struct PostgresCompactionTests {
    @Test func rowsUpToTheSnapshotGoAndRebuildStartsFromIt() async throws {
        let replicated = try ReplicatedLogFixture()
        defer { replicated.remove() }
        let (database, fixture, log, replicator) = (replicated.database, replicated.fixture, replicated.log, replicated.replicator)
        var index = 0
        while index < 12_000 {
            var entries: [LogEntry] = []
            for _ in 0..<1_000 {
                fixture.clock.advance(microseconds: 10)
                let send = SendEvent(messageID: "m\(index)", to: "16315551000", type: "text", content: Array("{\"body\":\"x\"}".utf8))
                entries.append(LogEntry(shard: 0, epoch: 1, kind: .send, payload: send.encoded()))
                if index % 2 == 0 {
                    let read = StatusEvent(messageID: "m\(index)", waID: "16315551000", status: .read, networkTimestamp: .zero)
                    entries.append(LogEntry(shard: 0, epoch: 1, kind: .status, payload: read.encoded()))
                }
                index += 1
            }
            _ = try await log.append(entries)
        }
        replicator.wake()
        let last = log.lastSeq(shard: 0)
        try await replicator.waitReplicated(shard: 0, seq: last, timeout: .seconds(30))

        var atCut = ShardState(shard: 0)
        var full = ShardState(shard: 0)
        let cut = last - 7
        try log.forEachRecord(shard: 0) { record in
            if record.seq <= cut { _ = try atCut.apply(record) }
            _ = try full.apply(record)
        }
        let connection = try PGConnection(url: database.url)
        func snapshot(_ state: ShardState) -> PostgresCompaction.Snapshot {
            PostgresCompaction.Snapshot(
                shard: 0, seq: state.appliedSeq, epoch: state.epoch, timestamp: state.lastTimestamp,
                formatVersion: ShardState.snapshotFormatVersion, payload: state.snapshotPayload())
        }
        #expect(try PostgresCompaction.compact(connection, snapshot: snapshot(atCut), nodeKey: "test:1") == Int(cut))
        func count(_ sql: String) throws -> Int { Int(try connection.execute(sql).rows[0][0] ?? "") ?? -1 }
        #expect(try count("SELECT count(*) FROM events WHERE shard = 0") == 7)
        #expect(try count("SELECT min(seq) FROM events WHERE shard = 0") == Int(cut) + 1)
        #expect(try PostgresEventReader.rebuildShard(connection, shard: 0) == full)
        // Again with the full state: the older snapshot and the remaining rows go; storing it twice is a no-op.
        #expect(try PostgresCompaction.compact(connection, snapshot: snapshot(full), nodeKey: "test:1") == 7)
        #expect(try PostgresCompaction.compact(connection, snapshot: snapshot(full), nodeKey: "test:1") == 0)
        #expect(try count("SELECT count(*) FROM snapshots") == 1)
        #expect(try PostgresEventReader.rebuildShard(connection, shard: 0) == full)
        await replicator.stop()
        await log.close()
    }
}
