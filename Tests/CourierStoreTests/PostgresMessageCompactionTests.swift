import CourierCore
import CourierLog
import CourierStore
import CourierTesting
import Foundation
import Logging
import Testing

/// Message GC and the `messages` projection against a real server: the collected messages' rows go in
/// pages of at most 10 000, live ones and rows projected after the snapshot stay, and nothing is deleted
/// before the projection passed the snapshot's seq.
@Suite struct PostgresMessageCompactionTests {
    @Test func collectedMessageRowsGoOnceTheProjectionPassedTheSnapshot() async throws {
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
                if index % 3 != 0 {
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
        // Collected up to `cut`: the messages read by then. Live: every other message.
        let cut = last - 500
        var sendSeq: [String: UInt64] = [:]
        var collected = Set<String>()
        try log.forEachRecord(shard: 0) { record in
            switch try Event.decode(record) {
            case .send(let send)?: sendSeq[send.messageID] = record.seq
            case .status(let status)? where record.seq <= cut: collected.insert(status.messageID)
            default: break
            }
        }
        let live = Set(sendSeq.keys).subtracting(collected)
        // More candidate rows than one page holds.
        #expect(collected.count > 5_000 && sendSeq.values.filter { $0 <= cut }.count > PostgresCompaction.batchRows)
        let connection = try PGConnection(url: database.url)
        func count(_ sql: String) throws -> Int { Int(try connection.execute(sql).rows[0][0] ?? "") ?? -1 }

        // The projection has not reached this seq: nothing is deleted.
        #expect(
            try PostgresCompaction.deleteCollectedMessages(
                connection, shard: 0, seq: last + 1_000, live: [], projectionTimeout: .milliseconds(200)) == nil)
        #expect(try count("SELECT count(*) FROM messages") == 12_000)

        let deleted = try PostgresCompaction.deleteCollectedMessages(connection, shard: 0, seq: cut, live: live)
        #expect(deleted == collected.count)
        #expect(try count("SELECT count(*) FROM messages") == 12_000 - collected.count)
        let remaining = Set(try connection.execute("SELECT id FROM messages").rows.compactMap { $0[0] })
        #expect(remaining == live)
        // Idempotent: a second pass finds nothing more.
        #expect(try PostgresCompaction.deleteCollectedMessages(connection, shard: 0, seq: cut, live: live) == 0)

        // Event rows the projection has not read stay, even below a stored snapshot.
        let eventRows = try count("SELECT count(*) FROM events WHERE shard = 0")
        func snapshot(at seq: UInt64) -> PostgresCompaction.Snapshot {
            PostgresCompaction.Snapshot(
                shard: 0, seq: seq, epoch: 1, timestamp: fixture.clock.now, formatVersion: ShardState.snapshotFormatVersion,
                payload: [1, 2, 3])
        }
        #expect(
            try PostgresCompaction.compact(
                connection, snapshot: snapshot(at: last + 1_000), nodeKey: "n1", projectionTimeout: .milliseconds(200)) == 0)
        #expect(try count("SELECT count(*) FROM events WHERE shard = 0") == eventRows)
        #expect(try count("SELECT count(*) FROM snapshots WHERE shard = 0 AND seq = \(last + 1_000)") == 1)
        // Once it has, they go.
        let removed = try PostgresCompaction.compact(
            connection, snapshot: snapshot(at: cut), nodeKey: "n1", projectionTimeout: .seconds(10))
        #expect(removed == Int(cut))
        #expect(try count("SELECT count(*) FROM events WHERE shard = 0") == eventRows - Int(cut))
        await replicator.stop()
        await log.close()
    }
}
