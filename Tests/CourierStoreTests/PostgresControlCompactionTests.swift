import CourierCore
import CourierLog
import CourierStore
import CourierTesting
import Foundation
import Logging
import Testing

/// The control stream's PostgreSQL compaction against a real server: its snapshot is stored in `snapshots`,
/// its event rows up to it go in batches, older control snapshots go, shard streams are untouched, and the
/// control state rebuilt from PostgreSQL (snapshot, then the remaining rows) equals the local log's.
@Suite struct PostgresControlCompactionTests {
    /// A control history of users, tokens, settings and shard changes, more records than one delete batch.
    func writeControlHistory(_ log: any EventLog, clock: ManualClock, count: Int) async throws {
        var index = 0
        while index < count {
            var entries: [LogEntry] = []
            for _ in 0..<min(1_000, count - index) {
                clock.advance(microseconds: 10)
                let event: Event
                switch index % 5 {
                case 0:
                    event = .userChange(
                        UserChangeEvent(action: .created, username: "user\(index)", passwordHash: "$scrypt$\(index)", passwordChangeRequired: false))
                case 1:
                    event = .token(
                        TokenEvent(action: .issued, tokenDigest: "digest\(index)", username: "user\(index - 1)",
                            expiresAt: Timestamp(microseconds: clock.now.microseconds + 86_400_000_000)))
                case 2:
                    event = .settingsChange(SettingsChangeEvent(section: "application", patch: ["webhooks": ["max_batch_size": .string("\(index % 90 + 1)")]]))
                case 3:
                    event = index % 15 == 3
                        ? .userChange(UserChangeEvent(action: .deleted, username: "user\(index - 3)", passwordHash: "", passwordChangeRequired: false))
                        : .token(TokenEvent(action: .revoked, tokenDigest: "digest\(index - 2)", username: "user\(index - 3)", expiresAt: .zero))
                default:
                    event = .shardChange(ShardChangeEvent(action: .assigned, shardCount: index % 4 + 1, shard: 0, ownerNodeKey: "n:1", epoch: 1))
                }
                entries.append(LogEntry(shard: Record.controlShard, epoch: 1, kind: event.kind, payload: event.encodedPayload()))
                index += 1
            }
            _ = try await log.append(entries)
        }
    }

    @Test func controlRowsUpToItsSnapshotGoAndTheRebuildFromPostgreSQLEqualsTheLog() async throws {
        let replicated = try ReplicatedLogFixture()
        defer { replicated.remove() }
        let (database, fixture, log, replicator) = (replicated.database, replicated.fixture, replicated.log, replicated.replicator)
        try await writeControlHistory(log, clock: fixture.clock, count: 12_500)
        // A shard stream beside it: compacting the control stream leaves its rows alone.
        let send = SendEvent(messageID: "m0", to: "16315551000", type: "text", content: Array("{\"body\":\"x\"}".utf8))
        _ = try await log.append(LogEntry(shard: 0, epoch: 1, kind: .send, payload: send.encoded()))
        replicator.wake()
        let last = log.lastSeq(shard: Record.controlShard)
        try await replicator.waitReplicated(shard: Record.controlShard, seq: last, timeout: .seconds(30))
        try await replicator.waitReplicated(shard: 0, seq: 1, timeout: .seconds(30))

        let connection = try PGConnection(url: database.url)
        func count(_ sql: String) throws -> Int { Int(try connection.execute(sql).rows[0][0] ?? "") ?? -1 }
        var full = ControlState()
        try log.forEachRecord(shard: Record.controlShard) { try full.apply($0) }
        #expect(full.users.count > 100 && full.appliedSeq == last)
        // Nothing stored yet: the rebuild folds every row from seq 1.
        #expect(try PostgresCompaction.newestControlSnapshot(connection) == nil)
        #expect(try PostgresEventReader.rebuildControl(connection) == full)

        func snapshot(_ state: ControlState) -> PostgresCompaction.Snapshot {
            PostgresCompaction.Snapshot(
                shard: Record.controlShard, seq: state.appliedSeq, epoch: state.epoch, timestamp: state.lastTimestamp,
                formatVersion: ControlState.snapshotFormatVersion, payload: state.snapshotPayload())
        }
        var atCut = ControlState()
        let cut = last - 9
        try log.forEachRecord(shard: Record.controlShard) { if $0.seq <= cut { try atCut.apply($0) } }
        // More rows than one delete batch go, in batches.
        #expect(cut > UInt64(PostgresCompaction.batchRows))
        #expect(try PostgresCompaction.compact(connection, snapshot: snapshot(atCut), nodeKey: "test:1") == Int(cut))
        #expect(try count("SELECT count(*) FROM events WHERE shard = 65535") == 9)
        #expect(try count("SELECT min(seq) FROM events WHERE shard = 65535") == Int(cut) + 1)
        #expect(try count("SELECT count(*) FROM events WHERE shard = 0") == 1)
        #expect(try PostgresCompaction.newestControlSnapshot(connection)?.state == atCut)
        // Snapshot, then the nine remaining rows: the log's state.
        #expect(try PostgresEventReader.rebuildControl(connection, chunk: 4) == full)

        // A newer snapshot replaces the older one; storing it twice is a no-op.
        #expect(try PostgresCompaction.compact(connection, snapshot: snapshot(full), nodeKey: "test:1") == 9)
        #expect(try PostgresCompaction.compact(connection, snapshot: snapshot(full), nodeKey: "test:1") == 0)
        #expect(try count("SELECT count(*) FROM snapshots WHERE shard = 65535") == 1)
        #expect(try PostgresEventReader.rebuildControl(connection) == full)

        // Rows the replicator ships after the compaction follow the snapshot.
        try await writeControlHistory(log, clock: fixture.clock, count: 7)
        replicator.wake()
        try await replicator.waitReplicated(shard: Record.controlShard, seq: last + 7, timeout: .seconds(30))
        var after = full
        try log.forEachRecord(shard: Record.controlShard, fromSeq: last + 1) { try after.apply($0) }
        #expect(try PostgresEventReader.rebuildControl(connection) == after)
        await replicator.stop()
        await log.close()
    }

    @Test func aGapAfterTheStoredSnapshotIsRefused() async throws {
        let replicated = try ReplicatedLogFixture()
        defer { replicated.remove() }
        let (database, fixture, log, replicator) = (replicated.database, replicated.fixture, replicated.log, replicated.replicator)
        try await writeControlHistory(log, clock: fixture.clock, count: 30)
        for index in 0..<30 {
            let send = SendEvent(messageID: "m\(index)", to: "16315551000", type: "text", content: Array("{\"body\":\"x\"}".utf8))
            _ = try await log.append(LogEntry(shard: 0, epoch: 1, kind: .send, payload: send.encoded()))
        }
        replicator.wake()
        try await replicator.waitReplicated(shard: Record.controlShard, seq: 30, timeout: .seconds(30))
        try await replicator.waitReplicated(shard: 0, seq: 30, timeout: .seconds(30))
        await replicator.stop()
        let connection = try PGConnection(url: database.url)
        #expect(try PostgresEventReader.rebuildShard(connection, shard: 0).messages.count == 30)
        // Rows deleted with no snapshot covering them: the rebuild must not skip them.
        try connection.execute("DELETE FROM events WHERE shard = 65535 AND seq <= 10")
        try connection.execute("DELETE FROM events WHERE shard = 0 AND seq BETWEEN 5 AND 6")
        #expect(throws: StoreError.self) { try PostgresEventReader.rebuildControl(connection) }
        #expect(throws: StoreError.self) { try PostgresEventReader.rebuildShard(connection, shard: 0) }
        await log.close()
    }
}
