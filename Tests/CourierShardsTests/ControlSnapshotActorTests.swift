import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Foundation
import Logging
import Testing

/// Control-stream snapshots on a real LMDB log: periodic and on demand, each followed by a `snapshot`
/// record; replay starts from the newest valid one and falls back past a damaged or half-written one.
@Suite struct ControlSnapshotActorTests {
    let logger = Logger(label: "test.control-snapshots")

    func configuration(_ store: SnapshotStore, every: UInt64) -> ControlActor.Configuration {
        var configuration = ControlActor.Configuration()
        configuration.snapshots = store
        configuration.snapshotEveryEvents = every
        return configuration
    }

    func snapshotRecords(_ log: any EventLog) throws -> [SnapshotEvent] {
        try log.read(shard: Record.controlShard, fromSeq: 1, limit: 10_000).compactMap {
            if case .snapshot(let event)? = try Event.decode($0) { return event } else { return nil }
        }
    }

    @Test func periodicAndOnDemandSnapshotsReplayLikeTheWholeStreamAndSurviveATornWrite() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let store = SnapshotStore(directory: fixture.directory.path + "/snapshots")
        let log = try fixture.open()
        let live = ControlActor(
            log: log, credentials: .testing(), configuration: configuration(store, every: 8), clock: fixture.clock.function,
            logger: logger)
        _ = try await live.start()
        guard case .issued = try await live.login(username: "admin", password: "secret", newPassword: "Adm1n!pass", client: "c")
        else { throw TestFailure("admin login") }
        for index in 0..<12 {
            #expect(try await live.createUser(username: "ops\(index)", password: "Op3rator!\(index)") == .done)
            fixture.clock.advance(microseconds: 1_000)
            _ = try await live.login(username: "ops\(index)", password: "Op3rator!\(index)", newPassword: nil, client: "c")
            await live.waitForSnapshots()
        }
        #expect(try await live.patchApplicationSettings(["webhooks": ["max_batch_size": "10"], "callback_persist": false]) == .done)
        await live.waitForSnapshots()
        let periodic = store.snapshots(shard: Record.controlShard).map(\.seq)
        #expect(periodic.count == 2, "the newest two kept: \(periodic)")
        // Every snapshot is logged as a `snapshot` record naming what it covers.
        let logged = try snapshotRecords(log)
        #expect(logged.count >= 2 && logged.allSatisfy { $0.snapshotID == "control/\($0.coveredSeq)" })
        #expect(Set(periodic).isSubset(of: Set(logged.map(\.coveredSeq))))

        // A time-driven snapshot: 10 minutes of activity with few records.
        try await live.writeSnapshotNow()
        let before = try snapshotRecords(log).count
        fixture.clock.advance(microseconds: 601 * 1_000_000)
        #expect(try await live.createUser(username: "late", password: "L4te!user") == .done)
        await live.waitForSnapshots()
        #expect(try snapshotRecords(log).count == before + 1)

        let onDemand = try #require(try await live.writeSnapshotNow())
        #expect(try await live.deleteUser(username: "ops3") == .done)
        let liveState = await live.snapshot
        #expect(onDemand.coveredSeq < liveState.appliedSeq)

        let fromSnapshot = ControlActor(
            log: log, credentials: .testing(), configuration: configuration(store, every: 1_000), clock: fixture.clock.function,
            logger: logger)
        #expect(try await fromSnapshot.replay() == Int(liveState.appliedSeq - onDemand.coveredSeq))
        #expect(await fromSnapshot.snapshot == liveState)

        // Killed while writing the next one: a torn temp file is ignored; a damaged newest falls back.
        let newest = try #require(store.snapshots(shard: Record.controlShard).first)
        try Data([0x43, 0x52, 0x53]).write(to: URL(fileURLWithPath: store.directory + "/control/99999999999999999999.snap.tmp"))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest.path))
        bytes = bytes.prefix(bytes.count / 2)
        try bytes.write(to: URL(fileURLWithPath: newest.path))
        let fallback = ControlActor(
            log: log, credentials: .testing(), configuration: configuration(store, every: 1_000), clock: fixture.clock.function,
            logger: logger)
        _ = try await fallback.start()
        #expect(await fallback.snapshot == liveState)
        #expect(await fallback.user(named: "ops11") != nil)
        #expect(await fallback.user(named: "ops3") == nil)

        var plain = ControlActor.Configuration()
        plain.snapshots = nil
        let full = ControlActor(log: log, credentials: .testing(), configuration: plain, clock: fixture.clock.function, logger: logger)
        #expect(try await full.replay() == Int(liveState.appliedSeq))
        #expect(await full.snapshot == liveState)
        await log.close()
    }
}
