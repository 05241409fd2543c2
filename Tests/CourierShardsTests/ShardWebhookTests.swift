import CourierCore
import CourierLog
import CourierShards
import CourierTesting
import Logging
import Synchronization
import Testing

/// Inbound messages, mark-read and the outbox through a shard actor over a real LMDB log; the outbox
/// is rebuilt equal by replay and by snapshots.
@Suite struct ShardWebhookTests {
    let logger = Logger(label: "test.webhooks")

    func receipt(_ id: String, from: String = "16315551000") -> ReceiptEvent {
        ReceiptEvent(
            messageID: id, from: from, type: "text", content: Array(#"{"body":"Hi"}"#.utf8),
            networkTimestamp: Timestamp(microseconds: 1_732_298_701_000_000), profileName: "Ana")
    }

    func status(_ id: String, _ status: MessageStatus, to: String = "447700900123") -> StatusEvent {
        StatusEvent(messageID: id, waID: to, status: status, networkTimestamp: Timestamp(microseconds: 1_732_298_702_000_000))
    }

    @Test func outboxFollowsStatusRulesAndIsRebuiltByReplayAndSnapshot() async throws {
        let fixture = try LogFixture(.lmdb)
        defer { fixture.remove() }
        let log = try fixture.open()
        let released = Mutex<[UInt64]>([])
        let readReceipts = Mutex<[String]>([])
        var configuration = ShardActor.Configuration()
        configuration.onOutbox = { entries in released.withLock { $0 += entries.map(\.seq) } }
        configuration.onReadReceipt = { id, to in readReceipts.withLock { $0.append("\(id)>\(to)") } }
        let actor = ShardActor(shard: 0, log: log, epoch: 1, configuration: configuration, logger: logger)
        let send = SendRequest(messageID: "gBGone", to: "447700900123", type: "text", content: Array(#"{"body":"x"}"#.utf8))
        _ = try await actor.send(send)  // seq 1
        try await actor.recordStatuses([status("gBGone", .sent), status("gBGone", .delivered)])  // 2, 3
        try await actor.recordStatus(status("gBGone", .read))  // 4
        try await actor.recordStatus(status("gBGone", .delivered))  // 5: late, logged, not posted
        try await actor.recordReceipt(receipt("ABGin1"))  // 6
        #expect(released.withLock { $0 } == [2, 3, 4, 6])
        #expect(await actor.pendingOutbox().map(\.seq) == [2, 3, 4, 6])

        #expect(try await actor.markRead("ABGin1") == .marked(from: "16315551000"))  // 7
        #expect(try await actor.markRead("ABGin1") == .alreadyRead)
        #expect(try await actor.markRead("gBGone") == .outbound)
        #expect(try await actor.markRead("ABGnope") == .notFound)
        #expect(readReceipts.withLock { $0 } == ["ABGin1>16315551000"])

        let delivered = WebhookDeliveredEvent(positions: SeqRanges([2, 3]), attempts: 1, httpStatus: 200, latencyMicroseconds: 900)
        try await actor.recordWebhook(.webhookDelivered(delivered))  // 8
        #expect(await actor.pendingOutbox().map(\.seq) == [4, 6])
        let live = await actor.snapshot
        #expect(live.webhooks.inbound["ABGin1"]?.read == true)
        #expect(live.appliedSeq == 8)

        let restarted = ShardActor(shard: 0, log: log, epoch: 1, logger: logger)
        #expect(try await restarted.replay() == 8)
        #expect(await restarted.snapshot == live)
        #expect(await restarted.pendingOutbox() == actor.pendingOutbox())
        let restored = try ShardState(snapshot: live.snapshotPayload())
        #expect(restored == live)
        #expect(restored.webhooks.pendingEntries == live.webhooks.pendingEntries)

        let dropped = WebhookDroppedEvent(positions: SeqRanges([4, 6]), reason: "test")
        try await restarted.recordWebhook(.webhookDropped(dropped))
        #expect(await restarted.pendingOutbox().isEmpty)
        await log.close()
    }

    /// eventlog.md §3: no callback before acknowledgement. The acknowledgement step is held open by the
    /// test; entries reach the dispatcher only once it returns, and a failed one releases nothing.
    @Test func outboxEntriesWaitForTheAcknowledgement() async throws {
        let storage = InMemoryLogStorage()
        let clock = ManualClock()
        let released = Mutex<[UInt64]>([])
        let gate = AcknowledgementGate()
        var configuration = ShardActor.Configuration()
        configuration.acknowledgement = { position in try await gate.wait(position.seq) }
        configuration.onOutbox = { entries in released.withLock { $0 += entries.map(\.seq) } }
        let actor = ShardActor(
            shard: 0, log: InMemoryEventLog(storage: storage, clock: clock.function), epoch: 1, configuration: configuration,
            logger: logger)
        let first = Task { try await actor.recordReceipt(receipt("ABGa")) }
        try await gate.waitForWaiter(1)
        #expect(storage.allRecords.count == 1, "durable locally")
        #expect(released.withLock { $0 }.isEmpty, "not acknowledged yet")
        await gate.open(1, succeed: true)
        try await first.value
        #expect(released.withLock { $0 } == [1])

        try await actor.recordStatuses([status("gBGx", .sent), status("gBGx", .delivered)])  // seqs 2, 3
        try await gate.waitForWaiter(3)
        #expect(released.withLock { $0 } == [1])
        await gate.open(3, succeed: false)
        let third = Task { try await actor.recordReceipt(receipt("ABGb")) }  // seq 4
        try await gate.waitForWaiter(4)
        #expect(released.withLock { $0 } == [1], "a failed acknowledgement releases nothing")
        await gate.open(4, succeed: true)
        try await third.value
        #expect(released.withLock { $0 } == [1, 2, 3, 4], "a later acknowledgement covers the earlier seqs")
    }

    @Test func failedIsFinalAndUnknownMessagesArePostedAsTheyAre() throws {
        var state = ShardState(shard: 0)
        var seq: UInt64 = 0
        func apply(_ event: Event) throws -> [ShardEffect] {
            seq += 1
            return try state.apply(
                Record(shard: 0, seq: seq, epoch: 1, timestamp: Timestamp(microseconds: Int64(seq)), kind: event.kind, payload: event.encodedPayload()))
        }
        _ = try apply(.send(SendEvent(messageID: "gBGa", to: "447700900123", type: "text", content: [])))
        #expect(try apply(.status(status("gBGa", .failed))).count == 1)
        #expect(try apply(.status(status("gBGa", .read))).isEmpty, "nothing after failed")
        #expect(try apply(.status(status("gBGgone", .read))).count == 1, "a collected message's status is posted")
        #expect(try apply(.receipt(receipt("ABGx"))).count == 1)
        #expect(try apply(.receipt(receipt("ABGx"))).isEmpty, "a repeated receipt is not posted twice")
        #expect(state.webhooks.outbox.seqs == [2, 4, 5])
    }

    @Test func eventsRoundTripTheirPayloads() throws {
        let events: [Event] = [
            .receipt(
                ReceiptEvent(
                    messageID: "ABG1", from: "1", type: "image", content: Array(#"{"id":"m"}"#.utf8),
                    networkTimestamp: Timestamp(microseconds: -5), profileName: "", mediaIDs: ["m"], contextFrom: "2",
                    contextID: "gBG2")),
            .webhookDelivered(WebhookDeliveredEvent(positions: SeqRanges([9, 1, 2, 3, 7]), attempts: 4, httpStatus: 204, latencyMicroseconds: 12)),
            .webhookDropped(WebhookDroppedEvent(positions: SeqRanges([5]), reason: "callback_persist is false")),
        ]
        let plain = StatusEvent(messageID: "gBG1", waID: "1", status: .sent, networkTimestamp: .zero)
        #expect(plain.encoded().first == 1, "statuses without a conversation keep their v1 bytes")
        var billed = plain
        billed.conversation = Array(#"{"id":"c"}"#.utf8)
        billed.pricing = Array(#"{"billable":true}"#.utf8)
        #expect(billed.encoded().first == 2)
        #expect(try StatusEvent(decoding: billed.encoded()) == billed)
        #expect(try StatusEvent(decoding: plain.encoded()) == plain)
        for event in events {
            #expect(try Event.decode(kind: event.kind, payload: event.encodedPayload()) == event)
        }
        #expect(SeqRanges([9, 1, 2, 3, 7]).description == "1-3,7,9")
    }
}

/// Holds acknowledgements open until the test decides their outcome.
actor AcknowledgementGate {
    private var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]

    func wait(_ seq: UInt64) async throws {
        let succeed = await withCheckedContinuation { waiters[seq] = $0 }
        if !succeed { throw AcknowledgementRefused() }
    }

    func waitForWaiter(_ seq: UInt64) async throws {
        for _ in 0..<2000 where waiters[seq] == nil { try await Task.sleep(for: .milliseconds(1)) }
        guard waiters[seq] != nil else { throw AcknowledgementRefused() }
    }

    func open(_ seq: UInt64, succeed: Bool) {
        waiters.removeValue(forKey: seq)?.resume(returning: succeed)
    }
}

struct AcknowledgementRefused: Error {}
