import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Logging
import Synchronization
import Testing

@Suite struct ShardActorTests {
    let logger = Logger(label: "test.shards")

    func request(_ index: Int, key: String? = nil, to: String = "16315551000", body: String? = nil) -> SendRequest {
        SendRequest(
            messageID: "m\(index)", to: to, type: "text", content: Array("{\"body\":\"\(body ?? String(index))\"}".utf8),
            idempotencyKey: key)
    }

    @Test func sendIsDurableBeforeItIsAcknowledgedAndReplaysToTheSameState() async throws {
        let clock = ManualClock()
        let storage = InMemoryLogStorage()
        let dispatched = Mutex<[String]>([])
        let actor = ShardActor(
            shard: 0, log: InMemoryEventLog(storage: storage, clock: clock.function), epoch: 1, logger: logger,
            onDispatch: { id, _ in dispatched.withLock { $0.append(id) } })
        let reply = try await actor.send(request(1))
        #expect(reply == .accepted(messageID: "m1", replay: false))
        #expect(storage.allRecords.count == 1)
        #expect(try SendEvent(decoding: storage.allRecords[0].payload).messageID == "m1")
        #expect(dispatched.withLock { $0 } == ["m1"])

        let restarted = ShardActor(shard: 0, log: InMemoryEventLog(storage: storage, clock: clock.function), epoch: 1, logger: logger)
        #expect(try await restarted.replay() == 1)
        #expect(await restarted.snapshot == actor.snapshot)
    }

    @Test func concurrentSendsAreAppliedInSeqOrder() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        let actor = ShardActor(shard: 0, log: log, epoch: 1, logger: logger)
        try await withThrowingTaskGroup(of: ShardReply.self) { group in
            for index in 0..<300 {
                group.addTask { try await actor.send(self.request(index, key: index % 7 == 0 ? "k\(index)" : nil)) }
            }
            for try await reply in group {
                guard case .accepted(_, false) = reply else {
                    Issue.record("unexpected reply \(reply)")
                    continue
                }
            }
        }
        let live = await actor.snapshot
        #expect(live.appliedSeq == 300)
        #expect(live.messages.count == 300)
        await log.close()
        let reopened = try fixture.open()
        let replayed = ShardActor(shard: 0, log: reopened, epoch: 1, logger: logger)
        #expect(try await replayed.replay() == 300)
        #expect(await replayed.snapshot == live)
        await reopened.close()
    }

    @Test func failedAppendIsReportedAndLeavesNoTrace() async throws {
        let storage = InMemoryLogStorage()
        let log = InMemoryEventLog(storage: storage, clock: ManualClock().function)
        let actor = ShardActor(shard: 0, log: log, epoch: 1, logger: logger)
        log.failNextAppends(1)
        await #expect(throws: ShardError.self) { try await actor.send(self.request(1, key: "k")) }
        #expect(storage.allRecords.isEmpty)
        #expect(await actor.snapshot.messages.isEmpty)
        // The idempotency key was released, so the retry is a fresh send.
        #expect(try await actor.send(request(2, key: "k", body: "same")) == .accepted(messageID: "m2", replay: false))
        #expect(try await actor.send(request(3, key: "k", body: "same")) == .accepted(messageID: "m2", replay: true))
        #expect(try await actor.send(request(4, key: "k", body: "other")) == .idempotencyConflict)
        #expect(storage.allRecords.count == 1)
    }

    @Test func fullQueueAnswersOverloaded() async throws {
        let gate = GatedEventLog(InMemoryEventLog(clock: ManualClock().function))
        var configuration = ShardActor.Configuration()
        configuration.queueLimit = 2
        let actor = ShardActor(shard: 0, log: gate, epoch: 1, configuration: configuration, logger: logger)
        async let first = actor.send(request(1))
        async let second = actor.send(request(2))
        await gate.waitForWaiters(2)
        do {
            _ = try await actor.send(request(3))
            Issue.record("third send was accepted with a queue limit of 2")
        } catch let error as ShardError {
            #expect(error.code == .overloaded)
        }
        gate.open()
        #expect(try await [first, second].count == 2)
        #expect(await actor.snapshot.appliedSeq == 2)
    }

    @Test func directoryRoutesByTheShardHash() async throws {
        let log = InMemoryEventLog(clock: ManualClock().function)
        let directory = ShardDirectory(shardCount: 4, log: log, epoch: 1, logger: logger)
        #expect(directory.actor(for: "16315551000").shard == 2)
        #expect(directory.actor(for: "5511987654321").shard == 0)
        _ = try await directory.actor(for: "16315551000").send(request(1, to: "16315551000"))
        #expect(log.lastSeq(shard: 2) == 1)
        #expect(log.lastSeq(shard: 0) == 0)
    }
}

/// Holds every append until `open()`: lets a test fill a shard's queue deterministically.
final class GatedEventLog: EventLog, Sendable {
    private let base: InMemoryEventLog
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init(_ base: InMemoryEventLog) { self.base = base }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitForWaiters(_ count: Int) async {
        while state.withLock({ $0.waiters.count }) < count { await Task.yield() }
    }

    func append(_ entries: [LogEntry]) async throws -> [LogPosition] {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
        return try await base.append(entries)
    }

    func read(shard: UInt16, fromSeq: UInt64, limit: Int) throws -> [Record] { try base.read(shard: shard, fromSeq: fromSeq, limit: limit) }
    func lastSeq(shard: UInt16) -> UInt64 { base.lastSeq(shard: shard) }
    func streams() -> [StreamSummary] { base.streams() }
    func close() async { await base.close() }
}
