import CourierCore
import CourierHTTP
import CourierLog
import CourierShards
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// `PUT /v1/services/message/gc` and `/v1/stats/*` over a real LMDB log with snapshots: the call
/// answers at once, joins a run in progress, collects exactly the terminal messages, removes the
/// covered segments, and the stats show it.
@Suite struct MessageGCAPITests {
    struct Setup {
        let directory: TemporaryDirectory
        let log: LMDBEventLog
        let shards: ShardDirectory
        let gc: MessageGC
        let clock = ManualClock()
        static let nodeKey = "courier:0123456789ab"

        init(shardCount: Int = 2, stepLimit: Int = 10_000) throws {
            directory = try TemporaryDirectory("courier-gc")
            var logConfiguration = LMDBEventLog.Configuration()
            logConfiguration.segmentSizeBytes = 256 << 10
            logConfiguration.initialMapSizeBytes = 16 << 20
            log = try LMDBEventLog(
                directory: directory.path + "/log", configuration: logConfiguration, clock: clock.function, logger: Logger(label: "test"))
            var configuration = ShardActor.Configuration()
            configuration.snapshots = SnapshotStore(directory: directory.path + "/snapshots")
            shards = ShardDirectory(shardCount: shardCount, log: log, epoch: 1, configuration: configuration, logger: Logger(label: "test"))
            var gcConfiguration = MessageGC.Configuration(nodeKey: Self.nodeKey)
            gcConfiguration.stepLimit = stepLimit
            gc = MessageGC(shards: shards, log: log, configuration: gcConfiguration, logger: Logger(label: "test.gc"))
        }

        /// `count` sends with 1 KiB bodies; every third stays unsent, the others are read. Returns the unsent ids.
        func populate(_ count: Int) async throws -> Set<String> {
            var unsent: Set<String> = []
            let body = Array("{\"body\":\"\(String(repeating: "x", count: 1000))\"}".utf8)
            for index in 0..<count {
                let to = "1631555\(1000 + index % 97)"
                clock.advance(microseconds: 1000)
                let id = "gBG\(index)"
                _ = try await shards.actor(for: to).send(SendRequest(messageID: id, to: to, type: "text", content: body))
                if index % 3 == 0 {
                    unsent.insert(id)
                } else {
                    try await shards.actor(for: to).recordStatus(
                        StatusEvent(messageID: id, waID: to, status: .read, networkTimestamp: clock.now))
                }
            }
            return unsent
        }

        func messageIDs() async -> Set<String> {
            var ids: Set<String> = []
            for actor in shards.actors { ids.formUnion(await actor.snapshot.messages.keys) }
            return ids
        }
    }

    func family(_ response: TestResponse, _ section: String, _ name: String, labels: [String: String] = [:]) -> Int64? {
        let samples = response.json?["stats"]?[section]?[name]?["data"]?.arrayValue ?? []
        for sample in samples {
            let sampleLabels = sample["labels"]?.objectValue?.members.map { ($0.key, $0.value.stringValue ?? "") } ?? []
            if Dictionary(uniqueKeysWithValues: sampleLabels) == labels, case .integer(let value)? = sample["value"] { return value }
        }
        return nil
    }

    @Test func gcRunsAsynchronouslyJoinsAndShowsInStats() async throws {
        let setup = try Setup(stepLimit: 5)
        defer { setup.directory.remove() }
        let unsent = try await setup.populate(600)
        let segmentsBefore = setup.log.segments().count
        #expect(segmentsBefore > 3)
        var harness = APIHarness(shards: setup.shards)
        harness.stats.messageGC = setup.gc
        harness.stats.nodeKey = Setup.nodeKey
        harness.stats.callbacks = { CallbackStats(queueSize: 3, requests: [CallbackRequestKey(result: "success", type: "status_change"): 912]) }
        let gc = setup.gc
        try await harness.run { client in
            let admin = try await client.adminAuthorization()
            let before = try await client.execute(uri: "/v1/stats/db", method: .get, headers: admin)
            #expect(family(before, "db", "db_messages") == 600)
            #expect(family(before, "db", "db_pending_messages") == 200)

            let first = try await client.execute(uri: "/v1/services/message/gc", method: .put, headers: admin)
            #expect(first.status == .ok)
            #expect(first.json?["services"]?["message"]?["gc"]?[Setup.nodeKey]?["status"] == "processing")
            let runID = await gc.runningID
            #expect(runID != nil)
            let during = try await client.execute(uri: "/v1/stats/app", method: .get, headers: admin)
            // A second call while the run goes on joins it: same answer, no second run.
            let second = try await client.execute(uri: "/v1/services/message/gc/", method: .put, headers: admin)
            #expect(second.status == .ok)
            #expect(second.json == first.json)
            #expect(await gc.runningID == runID)
            #expect(family(during, "app", "message_gc_running") == 1)

            let result = await gc.waitForCompletion()
            #expect(result?.status == "complete")
            #expect(result?.runID == runID)
            #expect(result?.messagesDeleted == 400)
            #expect((result?.eventsCompacted ?? 0) > 0 && (result?.bytesReclaimed ?? 0) > 0)
            #expect(await gc.runCounts == ["complete": 1])

            let app = try await client.execute(uri: "/v1/stats/app", method: .get, headers: admin)
            #expect(family(app, "app", "message_gc_runs", labels: ["status": "complete"]) == 1)
            #expect(family(app, "app", "message_gc_running") == 0)
            #expect(family(app, "app", "callback_queue_size") == 3)
            #expect(family(app, "app", "callback_requests", labels: ["result": "success", "type": "status_change"]) == 912)
            let db = try await client.execute(uri: "/v1/stats/db/internal", method: .get, headers: admin)
            #expect(family(db, "db", "db_messages") == 200)
            #expect(family(db, "db", "db_pending_messages") == 200)
            let perShard = (0..<2).compactMap { family(db, "db", "db_messages", labels: ["shard": "\($0)"]) }
            #expect(perShard.count == 2 && perShard.reduce(0, +) == 200)
            let text = try await client.execute(uri: "/v1/stats/db?format=prometheus", method: .get, headers: admin)
            #expect(text.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(String(buffer: text.body).contains("# TYPE db_messages gauge\ndb_messages 200\n"))
            let bad = try await client.execute(uri: "/v1/stats/app?format=xml", method: .get, headers: admin)
            #expect(bad.status == .badRequest && bad.errorCode == 1009)
        }
        #expect(await setup.messageIDs() == unsent)
        #expect(setup.log.segments().count < segmentsBefore)
        // The rotation records name what left the live log.
        var rotations = 0
        for actor in setup.shards.actors {
            try setup.log.forEachRecord(shard: actor.shard, fromSeq: await actor.snapshotCoveredSeq + 1) { record in
                if record.kind == .rotation { rotations += 1 }
            }
        }
        #expect(rotations > 0)
        await setup.log.close()

        // Restart: newest snapshot + the later records give the same state.
        let restarted = try Setup.reopen(setup)
        _ = try await restarted.shards.replayAll()
        #expect(await restarted.messageIDs() == unsent)
        await restarted.log.close()
    }

    @Test func gcNeedsAdminAndAWiredNode() async throws {
        try await APIHarness().run { client in
            let admin = try await client.adminAuthorization()
            let user = try await client.createUser("alice", "Al1ce!pass", admin: admin)
            let forbidden = try await client.execute(uri: "/v1/services/message/gc", method: .put, headers: user)
            #expect(forbidden.status == .forbidden && forbidden.errorCode == 1005)
            let unwired = try await client.execute(uri: "/v1/services/message/gc", method: .put, headers: admin)
            #expect(unwired.status == .serviceUnavailable && unwired.errorCode == 1011)
            let stats = try await client.execute(uri: "/v1/stats/app", method: .get, headers: user)
            #expect(stats.status == .ok)
            #expect(family(stats, "app", "message_gc_runs", labels: ["status": "complete"]) == 0)
            #expect(family(stats, "app", "callback_queue_size") == 0)
            // Counted per route pattern: the 403 and the 503 above are failures, logins successes.
            #expect(family(stats, "app", "endpoint_requests", labels: ["endpoint": "/v1/services/message/gc", "result": "failure"]) == 2)
            #expect((family(stats, "app", "endpoint_requests", labels: ["endpoint": "/v1/users/login", "result": "success"]) ?? 0) >= 2)
        }
    }
}

extension MessageGCAPITests.Setup {
    /// The same data directory, opened again as after a restart.
    static func reopen(_ other: Self) throws -> Self { try Self(reopening: other.directory) }

    init(reopening directory: TemporaryDirectory) throws {
        self.directory = directory
        var logConfiguration = LMDBEventLog.Configuration()
        logConfiguration.segmentSizeBytes = 256 << 10
        logConfiguration.initialMapSizeBytes = 16 << 20
        log = try LMDBEventLog(
            directory: directory.path + "/log", configuration: logConfiguration, clock: clock.function, logger: Logger(label: "test"))
        var configuration = ShardActor.Configuration()
        configuration.snapshots = SnapshotStore(directory: directory.path + "/snapshots")
        shards = ShardDirectory(shardCount: 2, log: log, epoch: 1, configuration: configuration, logger: Logger(label: "test"))
        gc = MessageGC(shards: shards, log: log, configuration: .init(nodeKey: Self.nodeKey), logger: Logger(label: "test.gc"))
    }
}
