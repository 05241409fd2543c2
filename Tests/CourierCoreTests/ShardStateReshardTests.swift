@testable import CourierCore
import Testing

/// Splitting and merging shard state through the log (`ShardState+Reshard.swift`), on seeded random histories:
/// the union of the new shards equals the union of the old ones, every item is where its hash says, each
/// stream's replay equals its live state, and a repeated or aborted transfer leaves no copies.
@Suite struct ShardStateReshardTests {
    /// One stream: its live state and its records.
    struct Stream {
        var state: ShardState
        var records: [Record] = []
        var time: Int64 = 1_000

        init(shard: UInt16) { state = ShardState(shard: shard) }

        mutating func append(_ event: Event) {
            time += 3
            let record = Record(
                shard: state.shard, seq: UInt64(records.count + 1), epoch: 1, timestamp: Timestamp(microseconds: time),
                kind: event.kind, payload: event.encodedPayload())
            records.append(record)
            _ = try! state.apply(record)
        }

        var replayed: ShardState {
            var fresh = ShardState(shard: state.shard)
            for record in records { _ = try! fresh.apply(record) }
            return fresh
        }
    }

    /// `count` streams with random traffic for recipients that hash to each.
    static func history(count: Int, seed: UInt64, events: Int = 300) -> [Stream] {
        var random = SeededRandom(seed: seed)
        var streams = (0..<count).map { Stream(shard: UInt16($0)) }
        var sent: [[(id: String, to: String)]] = Array(repeating: [], count: count)
        var received: [[String]] = Array(repeating: [], count: count)
        for n in 0..<events {
            let waID = "1631555\(Int.random(in: 0..<60, using: &random) + 1000)"
            let shard = Int(ShardHash.shard(of: waID, shardCount: count))
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                let id = "gBG\(n)"
                let key: String? = n % 5 == 0 ? "k\(n)" : nil
                streams[shard].append(.send(SendEvent(messageID: id, to: waID, type: "text", content: [UInt8(n % 251)], idempotencyKey: key)))
                sent[shard].append((id, waID))
            case 4...6:
                guard let message = sent[shard].randomElement(using: &random) else { continue }
                let status = [MessageStatus.sent, .delivered, .read, .failed].randomElement(using: &random)!
                streams[shard].append(.status(StatusEvent(messageID: message.id, waID: message.to, status: status, networkTimestamp: .zero)))
            case 7:
                let id = "ABG\(n)"
                streams[shard].append(.receipt(ReceiptEvent(messageID: id, from: waID, type: "text", content: Array(#"{"body":"hi"}"#.utf8), networkTimestamp: .zero)))
                received[shard].append(id)
            case 8:
                guard let id = received[shard].randomElement(using: &random) else { continue }
                streams[shard].append(.markRead(MarkReadEvent(messageID: id)))
            default:
                // Some callbacks delivered: a random half of the pending entries.
                let seqs = streams[shard].state.webhooks.pendingEntries.map(\.seq).filter { _ in Bool.random(using: &random) }
                guard !seqs.isEmpty else { continue }
                streams[shard].append(
                    .webhookDelivered(WebhookDeliveredEvent(positions: SeqRanges(seqs), attempts: 1, httpStatus: 200, latencyMicroseconds: 1)))
            }
        }
        return streams
    }

    /// Runs `plan` on `streams` the way the directory does: every transfer's in-records, then the out-records.
    static func reshard(_ streams: [Stream], plan: ReshardPlan, reshardID: UInt64 = 7, outRecords: Bool = true) -> [Stream] {
        var all = streams
        while all.count < max(plan.from, plan.to) { all.append(Stream(shard: UInt16(all.count))) }
        for (source, target) in plan.transfers {
            let transfers = all[Int(source)].state.transfers(to: target, plan: plan)
            for event in ShardState.inEvents(
                transfers, from: source, sourceSeq: all[Int(source)].state.appliedSeq, to: target, plan: plan, reshardID: reshardID,
                ownerNodeKey: "n:1", epoch: 1)
            {
                all[Int(target)].append(.shardChange(event))
            }
        }
        guard outRecords else { return all }
        for source in plan.sources {
            var out = ShardChangeEvent(action: plan.isSplit ? .splitOut : .mergeOut, shardCount: plan.to, shard: source, ownerNodeKey: "n:1", epoch: 1)
            out.reshardID = reshardID
            out.fromShardCount = plan.from
            all[Int(source)].append(.shardChange(out))
        }
        return all
    }

    struct Contents: Equatable {
        var messages: [String: OutboundMessage] = [:]
        var inbound: [String: InboundMessage] = [:]
        /// Pending callbacks by what they post (identities change when they move).
        var outbox: [String: Int] = [:]
        var pending = 0
        var idempotency: [String: String] = [:]
    }

    static func contents(_ states: [ShardState]) -> Contents {
        var contents = Contents()
        for state in states {
            contents.messages.merge(state.messages.map { ($0.key, $0.value) }) { a, _ in a }
            contents.inbound.merge(state.webhooks.inbound.map { ($0.key, $0.value) }) { a, _ in a }
            for entry in state.webhooks.pendingEntries { contents.outbox["\(entry.waID)|\(entry.item)", default: 0] += 1 }
            contents.pending += state.pendingMessages
            contents.idempotency.merge(state.idempotency.map { ($0.key, $0.value) }) { a, _ in a }
        }
        return contents
    }

    static func checkPlacement(_ states: [ShardState], count: Int) {
        for state in states {
            for message in state.messages.values { #expect(ShardHash.shard(of: message.to, shardCount: count) == state.shard) }
            for message in state.webhooks.inbound.values { #expect(ShardHash.shard(of: message.from, shardCount: count) == state.shard) }
            for entry in state.webhooks.pendingEntries {
                #expect(ShardHash.shard(of: entry.waID, shardCount: count) == state.shard)
                #expect(entry.shard == state.shard)
            }
            // Creation order lists exactly the messages, by creation time.
            let order = state.messagesInCreationOrder
            #expect(Set(order) == Set(state.messages.keys) && order.count == state.messages.count)
            #expect(zip(order, order.dropFirst()).allSatisfy { state.messages[$0]!.createdAt <= state.messages[$1]!.createdAt })
        }
    }

    @Test(arguments: [(1, 2), (1, 4), (2, 8), (4, 32), (2, 1), (4, 2), (8, 1), (32, 4)])
    func reshardKeepsEveryItemAndPlacesItByHash(from: Int, to: Int) {
        for seed in UInt64(1)...4 {
            let before = Self.history(count: from, seed: seed &* 7919 &+ UInt64(from * 100 + to))
            let plan = ReshardPlan(from: from, to: to)
            let after = Self.reshard(before, plan: plan)
            let active = after.prefix(to).map(\.state)
            #expect(Self.contents(active) == Self.contents(before.map(\.state)))
            Self.checkPlacement(active, count: to)
            // Retired shards (a merge) hold nothing.
            for stream in after.dropFirst(to) { #expect(stream.state.messages.isEmpty && stream.state.webhooks.outbox.isEmpty) }
            // Replay of each stream alone gives its live state.
            for stream in after { #expect(stream.replayed == stream.state) }
            // Moved entries have this stream's seqs, and per-recipient order is kept.
            for stream in after.prefix(to) {
                let pending = stream.state.webhooks.pendingEntries
                #expect(Set(pending.map(\.seq)).count == pending.count)
                for entry in pending { #expect(entry.seq <= stream.state.appliedSeq) }
            }
            for waID in Set(before.flatMap { $0.state.webhooks.pendingEntries.map(\.waID) }) {
                let old = before.flatMap { $0.state.webhooks.pendingEntries }.filter { $0.waID == waID }.map { "\($0.item)" }
                let new = after.prefix(to).flatMap { $0.state.webhooks.pendingEntries }.filter { $0.waID == waID }.map { "\($0.item)" }
                #expect(old == new)
            }
        }
    }

    @Test func transferRepeatedAfterACrashLeavesNoCopies() {
        let before = Self.history(count: 2, seed: 99)
        let plan = ReshardPlan(from: 2, to: 1)
        // First attempt: in-records only (a crash before the out-records), then the whole reshard again.
        let interrupted = Self.reshard(before, plan: plan, outRecords: false)
        let again = Self.reshard(interrupted, plan: plan)
        let expected = Self.reshard(before, plan: plan)
        #expect(Self.contents([again[0].state]) == Self.contents([expected[0].state]))
        #expect(again[0].replayed == again[0].state)
    }

    @Test func abortOnATargetDropsTheCopies() {
        let before = Self.history(count: 2, seed: 5)
        for plan in [ReshardPlan(from: 2, to: 1), ReshardPlan(from: 2, to: 4)] {
            var streams = Self.reshard(before, plan: plan, outRecords: false)
            for target in Set(plan.transfers.map(\.target)) {
                streams[Int(target)].append(.shardChange(ShardChangeEvent(action: .reshardAbort, shardCount: 2, shard: target, ownerNodeKey: "n:1", epoch: 1)))
            }
            #expect(Self.contents(streams.prefix(2).map(\.state)) == Self.contents(before.map(\.state)))
            for stream in streams.dropFirst(2) { #expect(stream.state.messages.isEmpty && stream.state.webhooks.inbound.isEmpty) }
        }
    }

    @Test func transferRecordsRoundTripAndStayUnderThePayloadLimit() throws {
        var stream = Stream(shard: 0)
        for n in 0..<20_000 {
            stream.append(.send(SendEvent(messageID: "gBG\(n)-\(String(repeating: "x", count: 20))", to: "1631555\(n % 500 + 1000)", type: "text", content: [1])))
        }
        let plan = ReshardPlan(from: 1, to: 2)
        let transfers = stream.state.transfers(to: 1, plan: plan)
        #expect(transfers.count > 1)
        for transfer in transfers {
            #expect(transfer.encoded().count < 1 << 20)
            #expect(try ReshardTransfer(decoding: transfer.encoded()) == transfer)
        }
        let event = ShardState.inEvents(transfers, from: 0, sourceSeq: 1, to: 1, plan: plan, reshardID: 3, ownerNodeKey: "n:1", epoch: 1)[0]
        #expect(try ShardChangeEvent(decoding: event.encoded()) == event)
        let old = ShardChangeEvent(action: .assigned, shardCount: 1, shard: 0, ownerNodeKey: "n:1", epoch: 1)
        #expect(old.encoded().first == 1)  // records without reshard fields keep the v1 layout
    }
}

/// The control stream's view of a shard count change.
@Suite struct ControlStateReshardTests {
    @Test func beginOpensCommitSetsTheCountAbortKeepsIt() throws {
        var state = ControlState()
        var seq: UInt64 = 0
        func apply(_ action: ShardChangeEvent.Action, count: Int) throws {
            seq += 1
            let event = Event.shardChange(ShardChangeEvent(action: action, shardCount: count, shard: 0, ownerNodeKey: "n:1", epoch: 1))
            try state.apply(
                Record(shard: Record.controlShard, seq: seq, epoch: 1, timestamp: Timestamp(microseconds: Int64(seq)), kind: .shardChange, payload: event.encodedPayload()))
        }
        try apply(.assigned, count: 1)
        try apply(.reshardBegin, count: 4)
        #expect(state.openReshard == 2 && state.shardCount == 1)
        try apply(.reshardAbort, count: 1)
        #expect(state.openReshard == nil && state.shardCount == 1)
        try apply(.reshardBegin, count: 4)
        try apply(.reshardCommit, count: 4)
        #expect(state.openReshard == nil && state.shardCount == 4)
    }
}
