import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Foundation
import Logging
import Testing

/// Snapshots: replay(snapshot + later records) = replay(everything), with fallback past a damaged one.
@Suite struct ShardSnapshotTests {
    func request(_ index: Int) -> SendRequest {
        SendRequest(
            messageID: "m\(index)", to: "1631555\(1000 + index % 50)", type: "text",
            content: Array("{\"body\":\"\(index)\"}".utf8), idempotencyKey: index % 3 == 0 ? "k\(index)" : nil)
    }

    @Test func snapshotCodecRoundTrips() throws {
        var state = ShardState(shard: 3)
        for index in 0..<40 {
            let event = Event.send(SendEvent(SendRequest(messageID: "m\(index)", to: "16315551000", type: "text", content: [1], idempotencyKey: "k\(index)")))
            _ = try state.apply(Record(shard: 3, seq: UInt64(index + 1), epoch: 2, timestamp: Timestamp(microseconds: Int64(index)), kind: .send, payload: event.encodedPayload()))
        }
        let restored = try ShardState(snapshot: state.snapshotPayload())
        #expect(restored == state)
        #expect(restored.snapshotPayload() == state.snapshotPayload())
        var damaged = state.snapshotPayload()
        damaged.removeLast()
        #expect(throws: RecordError.self) { try ShardState(snapshot: damaged) }
        #expect(throws: RecordError.self) { try ShardState(snapshot: [9]) }
    }

    @Test func replayFromSnapshotEqualsFullReplayAndFallsBackPastDamage() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let store = SnapshotStore(directory: fixture.directory.path + "/snapshots")
        var configuration = ShardActor.Configuration()
        configuration.snapshots = store
        configuration.snapshotEveryEvents = 50
        let log = try fixture.open()
        let logger = Logger(label: "test")
        let live = ShardActor(shard: 0, log: log, epoch: 1, configuration: configuration, logger: logger)
        for index in 0..<175 {
            _ = try await live.send(request(index))
            await live.waitForSnapshots()
        }
        let liveState = await live.snapshot
        #expect(store.snapshots(shard: 0).map(\.seq) == [150, 100])
        // Each periodic snapshot is logged as a `snapshot` record right after the seq it covers.
        let logged = try log.read(shard: 0, fromSeq: 1, limit: 1_000).compactMap { record -> (UInt64, SnapshotEvent)? in
            if case .snapshot(let event)? = try Event.decode(record) { return (record.seq, event) } else { return nil }
        }
        #expect(logged.map(\.1.coveredSeq) == [50, 100, 150])
        #expect(logged.allSatisfy { $0.0 == $0.1.coveredSeq + 1 && $0.1.snapshotID == "0/\($0.1.coveredSeq)" })

        let fromSnapshot = ShardActor(shard: 0, log: log, epoch: 1, configuration: configuration, logger: logger)
        #expect(try await fromSnapshot.replay() == 28)
        #expect(await fromSnapshot.snapshot == liveState)

        // Damage the newest: replay falls back to the older snapshot and replays more records.
        let newest = try #require(store.snapshots(shard: 0).first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest.path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: newest.path))
        #expect(throws: LogError.self) { try store.load(newest) }
        let fallback = ShardActor(shard: 0, log: log, epoch: 1, configuration: configuration, logger: logger)
        #expect(try await fallback.replay() == 78)
        #expect(await fallback.snapshot == liveState)

        var plain = configuration
        plain.snapshots = nil
        let full = ShardActor(shard: 0, log: log, epoch: 1, configuration: plain, logger: logger)
        #expect(try await full.replay() == 178)
        #expect(await full.snapshot == liveState)
        await log.close()
    }

    @Test func tenMinutesOfActivityTakeASnapshotByTheInjectedClock() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let store = SnapshotStore(directory: fixture.directory.path + "/snapshots")
        var configuration = ShardActor.Configuration()
        configuration.snapshots = store
        let log = try fixture.open()
        let live = ShardActor(shard: 0, log: log, epoch: 1, configuration: configuration, logger: Logger(label: "test"))
        for index in 0..<5 {
            fixture.clock.advance(microseconds: 60_000_000)
            _ = try await live.send(request(index))
            await live.waitForSnapshots()
        }
        #expect(store.snapshots(shard: 0).isEmpty)
        fixture.clock.advance(microseconds: 6 * 60_000_000)
        _ = try await live.send(request(5))
        await live.waitForSnapshots()
        #expect(store.snapshots(shard: 0).map(\.seq) == [6])
        let last = try #require(try log.read(shard: 0, fromSeq: 7, limit: 1).first)
        guard case .snapshot(let event)? = try Event.decode(last) else { throw SnapshotTestFailure() }
        #expect(event.coveredSeq == 6)
        // A `snapshot` record alone never makes another one due.
        fixture.clock.advance(microseconds: 11 * 60_000_000)
        #expect(log.lastSeq(shard: 0) == 7)
        await log.close()
    }
}

private struct SnapshotTestFailure: Error {}
