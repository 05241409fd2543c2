import CourierApp
import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Foundation
import Logging
import Testing

/// A GC run snapshots the control stream too, so the segments holding control records (the shard map,
/// users, every login's token) leave the live log; a restart still has users, tokens, settings and the
/// shard count.
@Suite struct ControlSnapshotNodeTests {
    @Test func aRestartAfterControlSegmentsWereRemovedKeepsUsersTokensSettingsAndShardCount() async throws {
        let directory = try TemporaryDirectory("courier-control-snapshots")
        defer { directory.remove() }
        let clock = ManualClock()
        // A data dir whose shard map says 2 shards (as a reshard would have left it).
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
        configuration.gateway.sentDelay = .milliseconds(1)
        configuration.gateway.deliveredDelay = .milliseconds(1)
        configuration.gateway.readDelay = .milliseconds(1)
        let logger = Logger(label: "test.node")
        let node = try await Node.build(
            configuration: configuration, logger: logger, clock: clock.function, credentials: .testing())
        #expect(node.shards.actors.count == 2)
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
        #expect(node.log.segments().filter(\.sealed).count >= 3)
        #expect(try node.log.read(shard: Record.controlShard, fromSeq: 1, limit: 1).first?.seq == 1)
        await node.messageGC.start()
        let result = await node.messageGC.waitForCompletion()
        #expect(result?.status == "complete", "\(result?.error ?? "")")
        let deleted = Int(result?.messagesDeleted ?? 0)
        #expect(deleted >= 1_000)
        // The segments holding the early control records are gone.
        let firstControl = try #require(try node.log.read(shard: Record.controlShard, fromSeq: 1, limit: 1).first)
        #expect(firstControl.seq > 4)
        #expect(SnapshotStore(directory: data.snapshotsPath).snapshots(shard: Record.controlShard).count == 1)
        // The control stream logs the removal of its segments too.
        let controlRecords = try node.log.read(shard: Record.controlShard, fromSeq: firstControl.seq, limit: 1_000)
        let rotations = controlRecords.compactMap { record -> RotationEvent? in
            if case .rotation(let event)? = try? Event.decode(record) { return event } else { return nil }
        }
        #expect(!rotations.isEmpty && rotations.allSatisfy { $0.action == .removed && $0.lastSeq < firstControl.seq })
        // Control records after the snapshot: replay needs the snapshot and them.
        #expect(try await node.control.createUser(username: "ops2", password: "Op3rator!2") == .done)
        let before = await node.control.snapshot
        #expect(before.shardCount == 2)
        await node.log.close()

        let restarted = try await Node.build(
            configuration: configuration, logger: logger, clock: clock.function, credentials: .testing(seed: 2))
        #expect(restarted.shards.actors.count == 2)
        #expect(await restarted.control.snapshot == before)
        #expect(await restarted.control.user(named: "ops1") != nil)
        #expect(await restarted.control.user(named: "ops2") != nil)
        #expect(await restarted.control.authenticate(token: adminToken)?.username == "admin")
        #expect(await restarted.control.applicationSettings()["webhooks"]?["max_batch_size"] == .integer(10))
        // No collected message came back.
        var kept = 0
        for actor in restarted.shards.actors { kept += await actor.snapshot.messages.count }
        #expect(kept == 1_200 - deleted)
        await restarted.log.close()
        // `courier log verify` accepts the control stream starting after its snapshot, and reads that snapshot.
        let report = try LogInspector(dataDirectoryPath: directory.path, output: { _ in }).verify(.init())
        #expect(report.healthy, "\(report.problems)")
        #expect(report.snapshots >= 3)
        // `courier log list --json` shows the control stream starting after its snapshot.
        let lines = Lines()
        var list = LogInspector.ListOptions()
        list.json = true
        try LogInspector(dataDirectoryPath: directory.path, output: lines.append).list(list)
        let listed = try JSONParser.parse(Array(lines.all.joined().utf8))
        let control = try #require(listed["streams"]?.arrayValue?.first { $0["stream"] == "control" })
        guard case .integer(let snapshotSeq)? = control["snapshot_seq"], case .integer(let firstSeq)? = control["first_seq"] else {
            throw Failure("control stream listed without a snapshot: \(control)")
        }
        #expect(firstSeq > 1 && firstSeq <= snapshotSeq + 1)
    }
}

private struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
