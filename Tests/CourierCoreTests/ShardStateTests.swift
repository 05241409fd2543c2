@testable import CourierCore
import Testing

/// The shard state machine, fed commands and records by hand.
@Suite struct ShardStateTests {
    func request(_ id: String, to: String = "16315551000", body: String = "hi", key: String? = nil) -> SendRequest {
        SendRequest(messageID: id, to: to, type: "text", content: Array("{\"body\":\"\(body)\"}".utf8), idempotencyKey: key)
    }

    func record(_ event: Event, seq: UInt64, shard: UInt16 = 0, epoch: UInt64 = 1, time: Int64 = 1000) -> Record {
        Record(shard: shard, seq: seq, epoch: epoch, timestamp: Timestamp(microseconds: time), kind: event.kind, payload: event.encodedPayload())
    }

    @Test func sendBecomesAnAppendAndApplyDispatches() throws {
        var state = ShardState(shard: 0)
        let effects = state.handle(.send(request("m1")))
        guard case .append(let event) = effects.first, effects.count == 1 else {
            Issue.record("expected one append, got \(effects)")
            return
        }
        #expect(state.messages.isEmpty)
        let applied = try state.apply(record(event, seq: 1))
        #expect(applied == [.dispatch(messageID: "m1", to: "16315551000")])
        #expect(state.messages["m1"]?.status == .accepted)
        #expect(state.appliedSeq == 1)
    }

    @Test func idempotencyKeyRepeatsReplyWithoutAppending() throws {
        var state = ShardState(shard: 0)
        let first = state.handle(.send(request("m1", key: "k")))
        // While the first is in flight, a repeat replays and a different body conflicts.
        #expect(state.handle(.send(request("m2", key: "k"))) == [.reply(.accepted(messageID: "m1", replay: true))])
        #expect(state.handle(.send(request("m3", body: "other", key: "k"))) == [.reply(.idempotencyConflict)])
        // Same key to another recipient is independent.
        #expect(state.handle(.send(request("m4", to: "447700900123", key: "k"))).count == 1)
        guard case .append(let event) = first.first else { return }
        _ = try state.apply(record(event, seq: 1))
        #expect(state.handle(.send(request("m5", key: "k"))) == [.reply(.accepted(messageID: "m1", replay: true))])
        #expect(state.handle(.send(request("m6", body: "other", key: "k"))) == [.reply(.idempotencyConflict)])
    }

    @Test func failedAppendReleasesTheIdempotencyKey() {
        var state = ShardState(shard: 0)
        let command = ShardCommand.send(request("m1", key: "k"))
        _ = state.handle(command)
        state.appendFailed(command)
        guard case .append? = state.handle(.send(request("m2", key: "k"))).first else {
            Issue.record("key still reserved after a failed append")
            return
        }
    }

    @Test func statusesOnlyMoveForward() throws {
        var state = ShardState(shard: 0)
        _ = try state.apply(record(.send(SendEvent(request("m1"))), seq: 1))
        let statuses: [MessageStatus] = [.delivered, .sent, .read, .delivered]
        for (offset, status) in statuses.enumerated() {
            let event = Event.status(StatusEvent(messageID: "m1", waID: "16315551000", status: status, networkTimestamp: .zero))
            _ = try state.apply(record(event, seq: UInt64(offset) + 2))
        }
        #expect(state.messages["m1"]?.status == .read)
    }

    @Test func unknownKindsAreCountedNotFatal() throws {
        var state = ShardState(shard: 0)
        let unknown = Record(shard: 0, seq: 1, epoch: 1, timestamp: .zero, kindCode: 4242, payload: [1])
        #expect(try state.apply(unknown).isEmpty)
        #expect(state.unknownRecords == 1)
        #expect(state.appliedSeq == 1)
    }

    @Test func replayOfTheSameRecordsGivesTheSameState() throws {
        var random = SeededRandom(seed: 42)
        var live = ShardState(shard: 0)
        var records: [Record] = []
        for index in 0..<500 {
            let key = random.next() % 3 == 0 ? "k\(random.next() % 50)" : nil
            let to = "1631555\(1000 + random.next() % 100)"
            for effect in live.handle(.send(request("m\(index)", to: to, body: "b\(random.next() % 4)", key: key))) {
                if case .append(let event) = effect {
                    let next = record(event, seq: UInt64(records.count + 1), time: Int64(index))
                    records.append(next)
                    _ = try live.apply(next)
                }
            }
        }
        var replayed = ShardState(shard: 0)
        for record in records { _ = try replayed.apply(record) }
        #expect(replayed == live)
        #expect(replayed.messages.count == records.count)
    }
}

@Suite struct ShardDigestTests {
    @Test func digestEqualsFNVOfTheConcatenation() {
        for (type, content) in [("text", Array("{\"body\":\"hi\"}".utf8)), ("", []), ("image", [0, 255, 7])] {
            #expect(ShardState.digest(type: type, content: content) == ShardHash.fnv1a64(Array(type.utf8) + [0] + content))
        }
    }
}
