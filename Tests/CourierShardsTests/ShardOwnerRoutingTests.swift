import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Logging
import Synchronization
import Testing

/// A status that arises on a shard after a wait — a failed media fetch — is recorded where the
/// recipient lives by then, even when a shard count change moved it during the wait.
@Suite struct ShardOwnerRoutingTests {
    @Test func aMediaFailureAfterASplitReachesTheMessagesNewShard() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let logger = Logger(label: "test.routing")
        let log = try fixture.open()
        let control = ControlActor(log: log, credentials: .testing(), clock: fixture.clock.function, logger: logger)
        _ = try await control.start()
        // The fetch waits until the test lets it fail.
        let (released, release) = AsyncStream<Void>.makeStream()
        let fetches = Mutex(0)
        var configuration = ShardActor.Configuration()
        configuration.fetchMediaLink = { _, _ in
            fetches.withLock { $0 += 1 }
            for await _ in released { break }
            return Timestamp(microseconds: 1_000)
        }
        let directory = ShardDirectory(shardCount: 1, log: log, epoch: 1, configuration: configuration, logger: logger)
        // A recipient that moves to shard 1 when one shard becomes two.
        let to = try #require((0..<1_000).map { "1631555\(1000 + $0)" }.first { ShardHash.shard(of: $0, shardCount: 2) == 1 })
        let content = Array(#"{"link":"https://media.example/cat.jpg"}"#.utf8)
        let reply = try await directory.withShard(for: to) {
            try await $0.send(SendRequest(messageID: "gBGm1", to: to, type: "image", content: content))
        }
        #expect(reply == .accepted(messageID: "gBGm1", replay: false))
        for _ in 0..<500 where fetches.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(2)) }
        #expect(fetches.withLock { $0 } == 1)

        _ = try await directory.reshard(to: 2, control: control, nodeKey: "n1")
        #expect(await directory.actors[1].snapshot.messages["gBGm1"]?.status == .accepted)
        release.yield()

        var status: MessageStatus? = nil
        for _ in 0..<500 {
            status = await directory.actor(for: to).snapshot.messages["gBGm1"]?.status
            if status == .failed { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(status == .failed)
        // Nothing about it on the shard it left.
        let left = await directory.actors[0].snapshot
        #expect(left.messages["gBGm1"] == nil)
        #expect(
            !left.webhooks.outbox.contains { entry in
                if case .status(let status) = entry.item { return status.messageID == "gBGm1" }
                return false
            })
        release.finish()
        await log.close()
    }
}
