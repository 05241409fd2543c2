/// Changing the shard count (cluster.md §8, single node): moving recipients' state from a source shard to
/// a target shard through the log, so that every stream's replay alone rebuilds its state.
///
/// - A **transfer** from source `p` to target `t` (`t ≢ p`) carries every recipient of `p` with
///   `shard_m(wa_id) = t`: outbound messages (with their idempotency keys), inbound messages and pending
///   outbox entries. The target logs it as `split-in`/`merge-in` records: state in chunks of at most
///   `ReshardTransfer.chunkBytes`, then one record per pending outbox entry, so that each moved entry gets
///   its own seq in the target stream (its new identity; per-recipient order is kept because entries go in
///   their source seq order and a recipient's entries all come from one source).
/// - The first record of a transfer first drops what the target holds of `p`'s recipients (`shard_n = p`),
///   so a transfer repeated after a crash (roll-forward at restart) yields the same state.
/// - Once every transfer of a source is durable, the source logs `split-out`/`merge-out`; applying it keeps
///   only the recipients with `shard_m(wa_id) = p`.
/// - `reshard-abort` on a shard stream keeps only `shard_n(wa_id) = shard`: it clears the copies a failed
///   reshard left in its targets.
///
/// Service-result entries (webhooks.md §7) have no recipient: they stay on their shard unless it leaves
/// (a merge), then they go to the surviving shard.
public struct ReshardTransfer: Hashable, Sendable {
    public struct Message: Hashable, Sendable {
        public var id: String
        public var message: OutboundMessage
    }

    public struct Inbound: Hashable, Sendable {
        public var id: String
        public var message: InboundMessage
    }

    /// Target bytes of one state chunk, well under the 1 MiB payload limit.
    public static let chunkBytes = 256 << 10

    /// The first record of a transfer (it clears stale copies first).
    public var first = false
    /// The last record of a transfer (creation order is re-sorted when the target had messages).
    public var last = false
    /// Messages in the source's creation order.
    public var messages: [Message] = []
    public var inbound: [Inbound] = []
    /// At most one entry: it takes the seq of the record carrying it. `shard`/`seq` are the source's.
    public var outbox: [OutboxEntry] = []

    public init() {}

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 64 + messages.count * 96)
        writer.write(first)
        writer.write(last)
        writer.write(UInt64(messages.count))
        for moved in messages {
            writer.write(messageID: moved.id, moved.message)
        }
        writer.write(UInt64(inbound.count))
        for moved in inbound {
            writer.write(inboundID: moved.id, moved.message)
        }
        writer.write(UInt64(outbox.count))
        for entry in outbox {
            writer.write(UInt64(entry.shard))
            writer.write(entry.seq)
            writer.write(entry.waID)
            writer.write(entry.createdAt.microseconds)
            writer.writeOutboxItem(of: entry)
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var reader = try PayloadReader(bytes)
        guard reader.version == 1 else {
            throw RecordError(.unsupportedVersion, "reshard transfer v\(reader.version) is newer than this build")
        }
        first = try reader.readBool()
        last = try reader.readBool()
        for _ in 0..<(try reader.readInt()) {
            let (id, message) = try reader.readMessage(in: "reshard transfer")
            messages.append(Message(id: id, message: message))
        }
        for _ in 0..<(try reader.readInt()) {
            let (id, message) = try reader.readInbound()
            inbound.append(Inbound(id: id, message: message))
        }
        for _ in 0..<(try reader.readInt()) {
            let shard = UInt16(truncatingIfNeeded: try reader.readUInt64())
            let seq = try reader.readUInt64()
            let waID = try reader.readString()
            let createdAt = Timestamp(microseconds: try reader.readInt64())
            let (item, payload) = try reader.readOutboxItem(in: "reshard transfer")
            outbox.append(OutboxEntry(shard: shard, seq: seq, waID: waID, item: item, createdAt: createdAt, encodedItem: payload))
        }
        try reader.expectEnd()
    }

    /// Rough encoded size, for chunking.
    static func size(of message: Message) -> Int {
        48 + message.id.utf8.count + message.message.to.utf8.count + message.message.type.utf8.count
            + (message.message.idempotencyKey?.utf8.count ?? 0)
    }
}

/// Which shards move what to which when the count goes from `from` to `to` (both allowed counts).
public struct ReshardPlan: Hashable, Sendable {
    public var from: Int
    public var to: Int

    public init(from: Int, to: Int) {
        precondition(ShardCount.allowed.contains(from) && ShardCount.allowed.contains(to), "shard counts \(from) → \(to)")
        self.from = from
        self.to = to
    }

    public var isSplit: Bool { to > from }

    /// Targets of source `p` (`p < from`): its new siblings when splitting, its survivor when merging.
    public func targets(of source: UInt16) -> [UInt16] {
        if isSplit {
            return stride(from: Int(source) + from, to: to, by: from).map { UInt16($0) }
        }
        return Int(source) >= to ? [UInt16(Int(source) % to)] : []
    }

    /// Every (source, target) pair, sources in order.
    public var transfers: [(source: UInt16, target: UInt16)] {
        (0..<UInt16(from)).flatMap { source in targets(of: source).map { (source, $0) } }
    }

    /// Shards that log an out-record.
    public var sources: [UInt16] { (0..<UInt16(from)).filter { !targets(of: $0).isEmpty } }
}

extension ShardState {
    /// Whether `waID` belongs on shard `shard` under `count` shards.
    @inline(__always)
    static func owns(_ shard: UInt16, _ waID: String, count: Int) -> Bool {
        ShardHash.shard(of: waID, shardCount: count) == shard
    }

    /// Whether an outbox entry stays on shard `shard` under `count` shards.
    static func keeps(_ shard: UInt16, _ entry: OutboxEntry, count: Int) -> Bool {
        if case .service = entry.item { return Int(shard) < count }
        return owns(shard, entry.waID, count: count)
    }

    /// The records' transfers that move this shard's recipients of `target` there (`plan.to` shards).
    /// State chunks first, then one transfer per pending outbox entry in seq order. Never empty: the first
    /// record clears stale copies even when nothing moves.
    public func transfers(to target: UInt16, plan: ReshardPlan) -> [ReshardTransfer] {
        var chunks: [ReshardTransfer] = []
        var current = ReshardTransfer()
        var bytes = 0
        func flush() {
            chunks.append(current)
            current = ReshardTransfer()
            bytes = 0
        }
        let moves = { (waID: String) in Self.owns(target, waID, count: plan.to) }
        for id in creationOrder where !id.isEmpty {
            guard let message = messages[id], moves(message.to) else { continue }
            let moved = ReshardTransfer.Message(id: id, message: message)
            current.messages.append(moved)
            bytes += ReshardTransfer.size(of: moved)
            if bytes >= ReshardTransfer.chunkBytes { flush() }
        }
        for id in webhooks.inbound.keys.sorted() {
            let message = webhooks.inbound[id]!
            guard moves(message.from) else { continue }
            current.inbound.append(ReshardTransfer.Inbound(id: id, message: message))
            bytes += 40 + id.utf8.count + message.from.utf8.count + message.type.utf8.count
            if bytes >= ReshardTransfer.chunkBytes { flush() }
        }
        if bytes > 0 || chunks.isEmpty { flush() }
        let leaving = Int(shard) >= plan.to
        for entry in webhooks.pendingEntries {
            let moving: Bool
            if case .service = entry.item { moving = leaving } else { moving = moves(entry.waID) }
            guard moving else { continue }
            var carrier = ReshardTransfer()
            carrier.outbox = [entry]
            chunks.append(carrier)
        }
        chunks[0].first = true
        chunks[chunks.count - 1].last = true
        return chunks
    }

    /// The `shard-change` events this shard logs to take in `transfers` from `source` (`split-in` or `merge-in`).
    public static func inEvents(
        _ transfers: [ReshardTransfer], from source: UInt16, sourceSeq: UInt64, to target: UInt16, plan: ReshardPlan,
        reshardID: UInt64, ownerNodeKey: String, epoch: UInt64
    ) -> [ShardChangeEvent] {
        transfers.map { transfer in
            var event = ShardChangeEvent(
                action: plan.isSplit ? .splitIn : .mergeIn, shardCount: plan.to, shard: target, ownerNodeKey: ownerNodeKey,
                epoch: epoch, boundarySeq: sourceSeq, parentShard: source)
            event.reshardID = reshardID
            event.fromShardCount = plan.from
            event.transfer = transfer.encoded()
            return event
        }
    }

    /// Folds a `shard-change` record of this shard's stream (called by `apply`).
    mutating func applyShardChange(_ change: ShardChangeEvent, record: Record) throws -> [ShardEffect] {
        var effects: [ShardEffect] = []
        switch change.action {
        case .splitOut, .mergeOut:
            retainOnly(count: change.shardCount)
        case .reshardAbort:
            if ShardCount.allowed.contains(change.shardCount) { retainOnly(count: change.shardCount) }
        case .splitIn, .mergeIn:
            guard let source = change.parentShard, ShardCount.allowed.contains(change.fromShardCount),
                ShardCount.allowed.contains(change.shardCount)
            else { throw RecordError(.malformedPayload, "\(change.action.rawValue) without its source or counts") }
            let transfer = try ReshardTransfer(decoding: change.transfer)
            if transfer.first { dropCopies(of: source, count: change.fromShardCount) }
            effects += take(transfer, record: record)
        case .assigned, .acquired, .released, .reshardBegin, .reshardCommit:
            break
        }
        return effects
    }

    /// Keeps only the recipients (and service entries) that stay on this shard under `count` shards.
    mutating func retainOnly(count: Int) {
        messages = messages.filter { Self.owns(shard, $0.value.to, count: count) }
        rebuildIndexes()
        webhooks.inbound = webhooks.inbound.filter { Self.owns(shard, $0.value.from, count: count) }
        for entry in webhooks.pendingEntries where !Self.keeps(shard, entry, count: count) {
            webhooks.outbox[entry.seq] = nil
        }
    }

    /// Drops what this shard holds of `source`'s recipients under `count` shards (stale copies).
    mutating func dropCopies(of source: UInt16, count: Int) {
        guard source != shard else { return }
        let before = messages.count
        messages = messages.filter { !Self.owns(source, $0.value.to, count: count) }
        if messages.count != before { rebuildIndexes() }
        webhooks.inbound = webhooks.inbound.filter { !Self.owns(source, $0.value.from, count: count) }
        for entry in webhooks.pendingEntries where entry.lane != .service && Self.owns(source, entry.waID, count: count) {
            webhooks.outbox[entry.seq] = nil
        }
    }

    /// Adds a transfer's state; its outbox entry takes this record's seq.
    mutating func take(_ transfer: ReshardTransfer, record: Record) -> [ShardEffect] {
        var effects: [ShardEffect] = []
        let hadMessages = !messages.isEmpty
        for moved in transfer.messages {
            messages[moved.id] = moved.message
            if let key = moved.message.idempotencyKey { idempotency[key] = moved.id }
            creationOrder.append(moved.id)
            if moved.message.status == .accepted { pendingMessages += 1 }
        }
        for moved in transfer.inbound { webhooks.inbound[moved.id] = moved.message }
        for entry in transfer.outbox {
            effects.append(
                addOutboxEntry(
                    OutboxEntry(shard: shard, seq: record.seq, waID: entry.waID, item: entry.item, createdAt: entry.createdAt)))
        }
        if transfer.last && hadMessages { rebuildIndexes() }
        return effects
    }

    /// Idempotency slots, creation order and the pending count from `messages` (creation order by time, then id).
    mutating func rebuildIndexes() {
        idempotency = [:]
        pendingMessages = 0
        for (id, message) in messages {
            if let key = message.idempotencyKey { idempotency[key] = id }
            if message.status == .accepted { pendingMessages += 1 }
        }
        let position = Dictionary(creationOrder.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        creationOrder = ChunkedArray(messages.keys.sorted {
            let (a, b) = (messages[$0]!, messages[$1]!)
            if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
            let (pa, pb) = (position[$0] ?? .max, position[$1] ?? .max)
            return pa != pb ? pa < pb : $0 < $1
        })
    }

    /// Every recipient this shard holds, for checks: outbound recipients, inbound senders, outbox `wa_id`s.
    public var recipients: Set<String> {
        var all = Set(messages.values.map(\.to))
        all.formUnion(webhooks.inbound.values.map(\.from))
        all.formUnion(webhooks.outbox.filter { $0.lane != .service }.map(\.waID))
        return all
    }

    /// The GC creation order (tests).
    public var messagesInCreationOrder: [String] { creationOrder.filter { !$0.isEmpty } }
}

extension ShardChangeEvent {
    /// What a transfer record carries, for `courier log dump` (counts and ids, never message content).
    var transferContents: ReshardTransfer? {
        guard action == .splitIn || action == .mergeIn, !transfer.isEmpty else { return nil }
        return try? ReshardTransfer(decoding: transfer)
    }

    /// The v2 fields as `courier log dump --json` prints them.
    var reshardJSON: JSONObject {
        guard reshardID != 0 || fromShardCount != 0 else { return [:] }
        var object: JSONObject = ["reshard_id": .integer(Int64(reshardID)), "from_shard_count": .integer(Int64(fromShardCount))]
        if action == .reshardBegin, let open = reshardBeginSeqs(transfer) {
            object["source_seqs"] = .array(open.map { .integer(Int64($0)) })
        }
        if let moved = transferContents {
            object["transfer"] = [
                "first": .bool(moved.first), "last": .bool(moved.last),
                "messages": .integer(Int64(moved.messages.count)), "inbound": .integer(Int64(moved.inbound.count)),
                "outbox": .array(
                    moved.outbox.map {
                        ["from_shard": .integer(Int64($0.shard)), "from_seq": .integer(Int64($0.seq)), "wa_id": .string($0.waID)]
                    }),
            ]
        }
        return object
    }

    /// The v2 fields as `courier log dump` prints them.
    var reshardSummary: String {
        guard reshardID != 0 || fromShardCount != 0 else { return "" }
        var text = " reshard=\(reshardID) from=\(fromShardCount)"
        if let parentShard { text += " parent=\(parentShard)@\(boundarySeq)" }
        if let moved = transferContents {
            text += " messages=\(moved.messages.count) inbound=\(moved.inbound.count) outbox=\(moved.outbox.count)"
        }
        return text
    }
}

/// Each source's seq as a `reshard-begin` record lists them.
func reshardBeginSeqs(_ bytes: [UInt8]) -> [UInt64]? {
    guard var reader = try? PayloadReader(bytes), let count = try? reader.readInt() else { return nil }
    var seqs: [UInt64] = []
    for _ in 0..<count {
        guard let seq = try? reader.readUInt64() else { return nil }
        seqs.append(seq)
    }
    return seqs
}
