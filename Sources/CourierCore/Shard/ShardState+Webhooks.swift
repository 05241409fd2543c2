/// An inbound message as a shard knows it: who sent it, what kind, whether the business read it.
/// Bounded: the content lives in the `receipt` event and, while a callback is owed, its outbox entry.
public struct InboundMessage: Hashable, Sendable {
    public var from: String
    public var type: String
    public var receivedAt: Timestamp
    public var read: Bool

    public init(from: String, type: String, receivedAt: Timestamp, read: Bool = false) {
        self.from = from
        self.type = type
        self.receivedAt = receivedAt
        self.read = read
    }
}

/// What one outbox entry posts (webhooks.md §2, §3).
public enum OutboxItem: Hashable, Sendable {
    case inbound(ReceiptEvent)
    case status(StatusEvent)
    /// A service result (webhooks.md §7): the `services[]` entry as compact JSON.
    case service([UInt8])

    /// The payload of the event that made it (for a service result, the document).
    func encoded() -> [UInt8] {
        switch self {
        case .inbound(let receipt): receipt.encoded()
        case .status(let status): status.encoded()
        case .service(let document): document
        }
    }
}

/// What a callback carries; one callback never mixes lanes (webhooks.md §5).
public enum OutboxLane: String, Hashable, Sendable {
    case inbound, status, service

    /// The `type` label of `callback_requests` (api.md §12.1).
    public var callbackType: String {
        switch self {
        case .inbound: "inbound_message"
        case .status: "status_change"
        case .service: "services"
        }
    }
}

/// A callback owed to the webhook receiver: pending from the durable event that made it until a
/// `webhook-delivered` or `webhook-dropped` event covers its seq (webhooks.md §5).
public struct OutboxEntry: Hashable, Sendable {
    public let shard: UInt16
    /// The seq of the event that made this entry; identifies it in `X-Courier-Delivery`.
    public let seq: UInt64
    /// When its event was logged (the oldest pending entry's age is a stat).
    public let createdAt: Timestamp
    /// The strings and bytes, behind one reference: entries are copied often (outbox chunks, snapshots,
    /// the dispatcher), and a copy is then one retain instead of one per string of a status.
    private let contents: Contents

    private final class Contents: Sendable {
        let waID: String
        let item: OutboxItem
        let encodedItem: [UInt8]

        init(waID: String, item: OutboxItem, encodedItem: [UInt8]) {
            self.waID = waID
            self.item = item
            self.encodedItem = encodedItem
        }
    }

    /// Whose order it keeps: the recipient of an outbound message, the sender of an inbound one.
    public var waID: String { contents.waID }
    public var item: OutboxItem { contents.item }
    /// `item` as its event's payload (the record's own bytes, shared, when the entry comes from a
    /// record): snapshots write it as it is instead of encoding every pending entry again.
    public var encodedItem: [UInt8] { contents.encodedItem }

    public init(shard: UInt16, seq: UInt64, waID: String, item: OutboxItem, createdAt: Timestamp, encodedItem: [UInt8]? = nil) {
        self.shard = shard
        self.seq = seq
        self.createdAt = createdAt
        contents = Contents(waID: waID, item: item, encodedItem: encodedItem ?? item.encoded())
    }

    /// Equal entries post the same thing; `encodedItem` is a cache of `item` and may differ in format
    /// version only.
    public static func == (lhs: OutboxEntry, rhs: OutboxEntry) -> Bool {
        lhs.shard == rhs.shard && lhs.seq == rhs.seq && lhs.waID == rhs.waID && lhs.item == rhs.item && lhs.createdAt == rhs.createdAt
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(shard)
        hasher.combine(seq)
    }

    /// Inbound and statuses never share a callback (webhooks.md §5).
    public var isInbound: Bool { lane == .inbound }

    public var lane: OutboxLane {
        switch item {
        case .inbound: .inbound
        case .status: .status
        case .service: .service
        }
    }

    /// The status this entry posts, nil for inbound messages.
    public var status: MessageStatus? {
        if case .status(let event) = item { return event.status }
        return nil
    }
}

/// The webhook part of a shard's state: inbound messages and the outbox, both rebuilt by replay.
///
/// Toggles (`webhooks.message.*`) live on the control stream, which a shard does not fold, so every
/// status that moves a message forward gets an entry here; the dispatcher checks the toggle when the entry
/// comes due and covers a toggled-off entry with a `webhook-delivered` of zero attempts. Replay is then
/// a function of this shard's stream alone.
public struct ShardWebhookState: Hashable, Sendable {
    public internal(set) var inbound: BucketedDictionary<String, InboundMessage> = [:]
    public internal(set) var outbox = OutboxQueue()

    public init() {}

    /// Pending entries in seq order.
    public var pendingEntries: [OutboxEntry] { Array(outbox) }
}

/// How `PUT /v1/messages/{id}` ends (api.md §6.4).
public enum MarkReadOutcome: Hashable, Sendable {
    /// A `mark-read` event is durable; the read receipt goes to `from`.
    case marked(from: String)
    /// Already read: a no-op 200.
    case alreadyRead
    /// An outbound message id: 400, 1009.
    case outbound
    /// Unknown or collected: 404, 1006.
    case notFound
}

extension ShardState {
    /// `handle` for the webhook commands.
    mutating func handleWebhookCommand(_ command: ShardCommand) -> [ShardEffect] {
        var effects: [ShardEffect] = []
        switch command {
        case .recordReceipt(let receipt):
            effects.append(.append(.receipt(receipt)))
        case .markRead(let messageID):
            if let message = webhooks.inbound[messageID] {
                effects.append(message.read ? .reply(.markRead(.alreadyRead)) : .append(.markRead(MarkReadEvent(messageID: messageID))))
            } else if messages[messageID] != nil || messageID.hasPrefix("gBG") {
                effects.append(.reply(.markRead(.outbound)))
            } else {
                effects.append(.reply(.markRead(.notFound)))
            }
        case .recordWebhook(let event):
            effects.append(.append(event))
        case .send, .recordStatus:
            preconditionFailure("not a webhook command: \(command)")
        }
        return effects
    }

    /// Whether a status adds an outbox entry: each distinct value once, never going backwards, nothing after
    /// `failed` (webhooks.md §3). Statuses for unknown (or collected) messages are posted as they are.
    /// `message` is the status's message before the status is folded in.
    static func statusIsPosted(_ event: StatusEvent, message: OutboundMessage?) -> Bool {
        guard let message else { return true }
        guard message.status != .failed else { return false }
        return event.status.rank > message.status.rank
    }

    mutating func addOutboxEntry(_ entry: OutboxEntry) -> ShardEffect {
        webhooks.outbox[entry.seq] = entry
        return .outbox(entry)
    }

    /// Folds the inbound and callback kinds.
    mutating func applyWebhookEvent(_ event: Event, record: Record) -> [ShardEffect] {
        var effects: [ShardEffect] = []
        switch event {
        case .receipt(let receipt):
            if webhooks.inbound[receipt.messageID] == nil {
                webhooks.inbound[receipt.messageID] = InboundMessage(
                    from: receipt.from, type: receipt.type, receivedAt: record.timestamp)
                effects.append(
                    addOutboxEntry(
                        OutboxEntry(
                            shard: shard, seq: record.seq, waID: receipt.from, item: .inbound(receipt),
                            createdAt: record.timestamp, encodedItem: record.payload)))
            }
        case .markRead(let markRead):
            webhooks.inbound[markRead.messageID]?.read = true
        case .webhookDelivered(let delivered):
            for seq in delivered.positions.seqs { webhooks.outbox[seq] = nil }
        case .webhookDropped(let dropped):
            for seq in dropped.positions.seqs { webhooks.outbox[seq] = nil }
        default:
            break
        }
        return effects
    }
}
