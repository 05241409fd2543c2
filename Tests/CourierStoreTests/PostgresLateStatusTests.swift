import CourierCore
import CourierLog
import CourierStore
import CourierTesting
import Foundation
import Logging
import Testing

/// A status arriving after GC collected its message (operations.md §4: still logged and posted) brings no
/// message back in the shard state, so it brings no `messages` row back either: the projection converges
/// with the shard state. Against the real PostgreSQL.
@Suite struct PostgresLateStatusTests {
    @Test func aLateStatusForACollectedMessageCreatesNoRowAndSendsStillProject() async throws {
        let replicated = try ReplicatedLogFixture()
        defer { replicated.remove() }
        let (database, fixture, log, replicator) = (replicated.database, replicated.fixture, replicated.log, replicated.replicator)
        var state = ShardState(shard: 0)
        func append(_ events: [Event]) async throws {
            fixture.clock.advance(microseconds: 10)
            let from = log.lastSeq(shard: 0) + 1
            _ = try await log.append(events.map { LogEntry(shard: 0, epoch: 1, kind: $0.kind, payload: $0.encodedPayload()) })
            for record in try log.read(shard: 0, fromSeq: from, limit: events.count) { _ = try state.apply(record) }
        }
        func send(_ id: String) -> Event {
            .send(SendEvent(messageID: id, to: "16315551000", type: "text", content: Array("{\"body\":\"x\"}".utf8)))
        }
        func status(_ id: String, _ status: MessageStatus) -> Event {
            .status(StatusEvent(messageID: id, waID: "16315551000", status: status, networkTimestamp: .zero))
        }
        func caughtUp() async throws {
            replicator.wake()
            try await replicator.waitReplicated(shard: 0, seq: log.lastSeq(shard: 0), timeout: .seconds(30))
            try await replicator.waitProjectionCaughtUp(timeout: .seconds(30))
        }
        let connection = try PGConnection(url: database.url)
        func rows() throws -> [String: String] {
            var rows: [String: String] = [:]
            for row in try connection.execute("SELECT id, status FROM messages").rows { rows[row[0]!] = row[1]! }
            return rows
        }

        // m0 is read (collectable), m1 only sent (kept); each projected in its own batch.
        try await append([send("m0"), send("m1")])
        try await caughtUp()
        try await append([status("m0", .sent), status("m1", .sent)])
        try await caughtUp()
        try await append([status("m0", .read)])
        try await caughtUp()
        #expect(try rows() == ["m0": "read", "m1": "sent"])

        // A GC pass as the shard actor runs it: begin, steps, then the snapshot's seq in `end`.
        gcLoop: while true {
            switch state.gcNext(runID: "gc-000001", retentionMicroseconds: 86_400_000_000, stepLimit: 10) {
            case .begin(let event), .step(let event): try await append([.gc(event)])
            case .finish: break gcLoop
            }
        }
        let snapshotSeq = state.appliedSeq
        try await append([.gc(state.gcEnd(snapshotSeq: snapshotSeq)!)])
        #expect(Set(state.messages.keys) == ["m1"])
        try await caughtUp()
        let deleted = try PostgresCompaction.deleteCollectedMessages(
            connection, shard: 0, seq: snapshotSeq, live: Set(state.messages.keys))
        #expect(deleted == 1)
        #expect(try rows() == ["m1": "sent"])

        // Late statuses for the collected m0, alone in a batch and beside a new send and a live update.
        try await append([status("m0", .delivered)])
        try await caughtUp()
        #expect(try rows() == ["m1": "sent"])
        try await append([status("m0", .read), send("m2"), status("m1", .delivered)])
        try await caughtUp()
        #expect(try rows() == ["m1": "delivered", "m2": "accepted"])
        try await append([status("m2", .read)])
        try await caughtUp()
        #expect(try rows() == ["m1": "delivered", "m2": "read"])

        // The projection holds exactly the messages the shard state holds, at their status.
        #expect(Set(try rows().keys) == Set(state.messages.keys))
        #expect(try rows().allSatisfy { state.messages[$0.key]?.status.rawValue == $0.value })
        await replicator.stop()
        await log.close()
    }
}
