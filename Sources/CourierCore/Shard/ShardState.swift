/// What a shard actor asks its state machine to decide.
public enum ShardCommand: Hashable, Sendable {
    case send(SendRequest)
    /// A receipt from the network. Always logged, even for an unknown or collected message
    /// (operations.md §4: a late status is still logged and posted).
    case recordStatus(StatusEvent)
    /// An inbound message from the network (`receipt`).
    case recordReceipt(ReceiptEvent)
    /// `PUT /v1/messages/{id}` (api.md §6.4).
    case markRead(messageID: String)
    /// A `webhook-delivered` or `webhook-dropped` event from the dispatcher.
    case recordWebhook(Event)
}

/// A validated send, with its id already assigned by the webapp (api.md §6.2).
public struct SendRequest: Hashable, Sendable {
    public var messageID: String
    public var to: String
    public var type: String
    public var content: [UInt8]
    public var idempotencyKey: String?

    public init(messageID: String, to: String, type: String, content: [UInt8], idempotencyKey: String? = nil) {
        self.messageID = messageID
        self.to = to
        self.type = type
        self.content = content
        self.idempotencyKey = idempotencyKey
    }
}

public enum ShardReply: Hashable, Sendable {
    /// The send is durable (or, with `replay`, was durable already for this idempotency key).
    case accepted(messageID: String, replay: Bool)
    /// The idempotency key was used for a different body (api.md §6.3: 409, 1004).
    case idempotencyConflict
    case markRead(MarkReadOutcome)
}

public enum ShardEffect: Hashable, Sendable {
    /// Append this event to the log, await durability, then `apply` the record.
    case append(Event)
    /// Answer the caller now; nothing is logged.
    case reply(ShardReply)
    /// Hand a durable send to the gateway (api.md §6.1: never before acknowledgement).
    /// `link`: the media URL (with its `provider.name`) Courier fetches before handing the message over (api.md §6.1 media by link).
    case dispatch(messageID: String, to: String, link: MediaLink? = nil)
    /// A callback became owed; post it once the event is acknowledged (webhooks.md §5).
    case outbox(OutboxEntry)
}

/// An outbound message as a shard knows it.
public struct OutboundMessage: Hashable, Sendable {
    public var to: String
    public var type: String
    public var createdAt: Timestamp
    public var status: MessageStatus
    public var statusAt: Timestamp
    /// FNV-1a of type and content, to tell an idempotent repeat from a conflicting reuse of a key.
    public var bodyDigest: UInt64
    public var idempotencyKey: String?
}

/// A shard's state: the fold of its stream. Pure: no clock, no I/O, time only from records.
public struct ShardState: Hashable, Sendable {
    public let shard: UInt16
    public internal(set) var appliedSeq: UInt64 = 0
    public internal(set) var epoch: UInt64 = 0
    public internal(set) var lastTimestamp = Timestamp.zero
    /// Bucketed maps: a snapshot encoding a copy off the actor never makes the next send pay for
    /// copying every message at once.
    public internal(set) var messages: BucketedDictionary<String, OutboundMessage> = [:]
    /// `to ‖ 0 ‖ key` → message id, for durable sends.
    var idempotency: BucketedDictionary<String, String> = [:]
    /// Same, for sends appended but not yet applied; cleared by `apply` or `appendFailed`.
    private var pendingIdempotency: [String: (messageID: String, digest: UInt64)] = [:]
    /// Records whose kind this build does not know, counted, never fatal (eventlog.md §4).
    public internal(set) var unknownRecords = 0
    /// Message ids in creation order, for GC steps; collected ids stay as holes until the run ends.
    var creationOrder = ChunkedArray<String>()
    /// Sends with no `sent` or `failed` status yet (`db_pending_messages`), kept as records fold.
    public internal(set) var pendingMessages = 0
    /// The GC run in progress on this stream, and the last one that ended (`ShardState+GC.swift`).
    public internal(set) var gcRun: GCRunState? = nil
    public internal(set) var lastGC: GCRunSummary? = nil
    /// Inbound messages and the callback outbox.
    public internal(set) var webhooks = ShardWebhookState()

    public init(shard: UInt16) { self.shard = shard }

    public static func == (lhs: ShardState, rhs: ShardState) -> Bool {
        lhs.shard == rhs.shard && lhs.appliedSeq == rhs.appliedSeq && lhs.epoch == rhs.epoch
            && lhs.lastTimestamp == rhs.lastTimestamp && lhs.messages == rhs.messages
            && lhs.idempotency == rhs.idempotency && lhs.unknownRecords == rhs.unknownRecords
            && lhs.pendingMessages == rhs.pendingMessages && lhs.gcRun == rhs.gcRun && lhs.lastGC == rhs.lastGC
            && lhs.webhooks == rhs.webhooks
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(shard)
        hasher.combine(appliedSeq)
        hasher.combine(messages.count)
    }

    /// Decides what a command does. Sends become an `append`; repeats of an idempotency key reply at once.
    public mutating func handle(_ command: ShardCommand) -> [ShardEffect] {
        var effects: [ShardEffect] = []
        switch command {
        case .send(let request):
            let digest = Self.digest(type: request.type, content: request.content)
            if let key = request.idempotencyKey.map({ Self.idempotencySlot(to: request.to, key: $0) }) {
                if let existing = idempotency[key], let message = messages[existing] {
                    effects.append(.reply(message.bodyDigest == digest ? .accepted(messageID: existing, replay: true) : .idempotencyConflict))
                } else if let pending = pendingIdempotency[key] {
                    effects.append(.reply(pending.digest == digest ? .accepted(messageID: pending.messageID, replay: true) : .idempotencyConflict))
                } else {
                    pendingIdempotency[key] = (request.messageID, digest)
                    effects.append(.append(.send(SendEvent(request))))
                }
            } else {
                effects.append(.append(.send(SendEvent(request))))
            }
        case .recordStatus(let status):
            effects.append(.append(.status(status)))
        case .recordReceipt, .markRead, .recordWebhook:
            effects += handleWebhookCommand(command)
        }
        return effects
    }

    /// Forgets what `handle` reserved for a command whose append failed (nothing was logged).
    public mutating func appendFailed(_ command: ShardCommand) {
        switch command {
        case .send(let request):
            if let key = request.idempotencyKey {
                pendingIdempotency[Self.idempotencySlot(to: request.to, key: key)] = nil
            }
        case .recordStatus, .recordReceipt, .markRead, .recordWebhook:
            break
        }
    }

    /// Sends still owed to the network: accepted, with no `sent` or `failed` status yet. After a
    /// restart they are handed to the gateway again (it is idempotent on message id).
    public var undispatched: [(messageID: String, to: String)] {
        messages.filter { $0.value.status == .accepted }.sorted { $0.value.createdAt < $1.value.createdAt }
            .map { ($0.key, $0.value.to) }
    }

    /// Folds one durable record into the state; the same path serves live traffic and replay.
    /// Records must arrive in seq order with no gap: anything else is a programming error.
    /// `decoded` is the record's event when the caller has it (the shard actor that just encoded it):
    /// it spares decoding the payload again; replay passes nil.
    public mutating func apply(_ record: Record, decoded: Event? = nil) throws -> [ShardEffect] {
        precondition(record.shard == shard, "record of shard \(record.shard) applied to shard \(shard)")
        precondition(record.seq == appliedSeq + 1, "shard \(shard): applying seq \(record.seq) after \(appliedSeq)")
        precondition(record.epoch >= epoch, "shard \(shard): epoch went back from \(epoch) to \(record.epoch)")
        var effects: [ShardEffect] = []
        appliedSeq = record.seq
        epoch = record.epoch
        lastTimestamp = max(lastTimestamp, record.timestamp)
        let event = try decoded ?? Event.decode(record)
        switch event {
        case .send(let event):
            let key = event.idempotencyKey.map { Self.idempotencySlot(to: event.to, key: $0) }
            messages[event.messageID] = OutboundMessage(
                to: event.to, type: event.type, createdAt: record.timestamp, status: .accepted,
                statusAt: record.timestamp, bodyDigest: Self.digest(type: event.type, content: event.content),
                idempotencyKey: key)
            if let key {
                idempotency[key] = event.messageID
                pendingIdempotency[key] = nil
            }
            creationOrder.append(event.messageID)
            pendingMessages += 1
            effects.append(.dispatch(messageID: event.messageID, to: event.to, link: MediaPolicy.mediaLink(in: event.content, type: event.type)))
        case .status(let event):
            let message = messages[event.messageID]
            if Self.statusIsPosted(event, message: message) {
                effects.append(
                    addOutboxEntry(
                        OutboxEntry(
                            shard: shard, seq: record.seq, waID: event.waID, item: .status(event), createdAt: record.timestamp,
                            encodedItem: record.payload)))
            }
            if var message, event.status.rank > message.status.rank {
                if message.status == .accepted { pendingMessages -= 1 }
                message.status = event.status
                message.statusAt = record.timestamp
                messages[event.messageID] = message
            }
        case .gc(let event):
            effects += applyGC(event, at: record)
        case .receipt, .markRead, .webhookDelivered, .webhookDropped:
            effects += applyWebhookEvent(event!, record: record)
        case .shardChange(let change):
            effects += try applyShardChange(change, record: record)
        case .settingsChange, .userChange, .token, .rotation, .snapshot:
            break
        case .accountChange:  // control stream only
            break
        case nil:
            unknownRecords += 1
        }
        return effects
    }

    static func idempotencySlot(to: String, key: String) -> String { to + "\u{0}" + key }

    /// FNV-1a over `type ‖ 0 ‖ content`, continued in place: replay computes it for every send,
    /// and building the concatenated array dominated its cost.
    static func digest(type: String, content: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in type.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        hash = hash &* 0x0000_0100_0000_01b3  // the 0 separator: XOR with 0 is a no-op
        for byte in content { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}

extension SendEvent {
    public init(_ request: SendRequest) {
        self.init(
            messageID: request.messageID, to: request.to, type: request.type, content: request.content,
            idempotencyKey: request.idempotencyKey)
    }
}
