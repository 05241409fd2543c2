/// A typed event: what a state machine folds. `Record` is its stored form.
public enum Event: Hashable, Sendable {
    case send(SendEvent)
    case status(StatusEvent)
    case markRead(MarkReadEvent)
    case receipt(ReceiptEvent)
    case webhookDelivered(WebhookDeliveredEvent)
    case webhookDropped(WebhookDroppedEvent)
    case shardChange(ShardChangeEvent)
    case settingsChange(SettingsChangeEvent)
    case accountChange(AccountChangeEvent)
    case userChange(UserChangeEvent)
    case token(TokenEvent)
    case gc(GCEvent)
    case rotation(RotationEvent)
    case snapshot(SnapshotEvent)

    public var kind: EventKind {
        switch self {
        case .send: .send
        case .status: .status
        case .markRead: .markRead
        case .receipt: .receipt
        case .webhookDelivered: .webhookDelivered
        case .webhookDropped: .webhookDropped
        case .shardChange: .shardChange
        case .settingsChange: .settingsChange
        case .accountChange: .accountChange
        case .userChange: .userChange
        case .token: .token
        case .gc: .gc
        case .rotation: .rotation
        case .snapshot: .snapshot
        }
    }

    public func encodedPayload() -> [UInt8] {
        switch self {
        case .send(let event): event.encoded()
        case .status(let event): event.encoded()
        case .markRead(let event): event.encoded()
        case .receipt(let event): event.encoded()
        case .webhookDelivered(let event): event.encoded()
        case .webhookDropped(let event): event.encoded()
        case .shardChange(let event): event.encoded()
        case .settingsChange(let event): event.encoded()
        case .accountChange(let event): event.encoded()
        case .userChange(let event): event.encoded()
        case .token(let event): event.encoded()
        case .gc(let event): event.encoded()
        case .rotation(let event): event.encoded()
        case .snapshot(let event): event.encoded()
        }
    }

    /// Decodes the payload of `record`; nil for kinds that this build knows but does not type yet
    /// and for unknown kinds (reported by callers, never fatal).
    public static func decode(kind: EventKind, payload: [UInt8]) throws -> Event? {
        switch kind {
        case .send: .send(try SendEvent(decoding: payload))
        case .status: .status(try StatusEvent(decoding: payload))
        case .markRead: .markRead(try MarkReadEvent(decoding: payload))
        case .receipt: .receipt(try ReceiptEvent(decoding: payload))
        case .webhookDelivered: .webhookDelivered(try WebhookDeliveredEvent(decoding: payload))
        case .webhookDropped: .webhookDropped(try WebhookDroppedEvent(decoding: payload))
        case .shardChange: .shardChange(try ShardChangeEvent(decoding: payload))
        case .settingsChange: .settingsChange(try SettingsChangeEvent(decoding: payload))
        case .accountChange: .accountChange(try AccountChangeEvent(decoding: payload))
        case .userChange: .userChange(try UserChangeEvent(decoding: payload))
        case .token: .token(try TokenEvent(decoding: payload))
        case .gc: .gc(try GCEvent(decoding: payload))
        case .rotation: .rotation(try RotationEvent(decoding: payload))
        case .snapshot: .snapshot(try SnapshotEvent(decoding: payload))
        default: nil
        }
    }

    public static func decode(_ record: Record) throws -> Event? {
        guard let kind = record.kind else { return nil }
        return try decode(kind: kind, payload: record.payload)
    }
}

/// Rejects payload versions newer than this build, with the message the CLI shows.
func checkVersion(_ reader: PayloadReader, supported: UInt8, kind: EventKind) throws {
    guard reader.version >= 1 && reader.version <= supported else {
        throw RecordError(.unsupportedVersion, "\(kind.name) payload v\(reader.version) is newer than this build")
    }
}

/// `send` (kind 1): an accepted outbound message.
public struct SendEvent: Hashable, Sendable {
    public var messageID: String
    public var to: String
    public var type: String
    /// The validated type object (`text`, `image`, …) as compact JSON.
    public var content: [UInt8]
    public var idempotencyKey: String?
    public var mediaIDs: [String]

    public init(messageID: String, to: String, type: String, content: [UInt8], idempotencyKey: String? = nil,
        mediaIDs: [String] = [])
    {
        self.messageID = messageID
        self.to = to
        self.type = type
        self.content = content
        self.idempotencyKey = idempotencyKey
        self.mediaIDs = mediaIDs
    }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1, capacity: 64 + content.count)
        writer.write(messageID)
        writer.write(to)
        writer.write(type)
        writer.write(bytes: content)
        writer.write(idempotencyKey)
        writer.write(mediaIDs)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .send)
        messageID = try reader.readString()
        to = try reader.readString()
        type = try reader.readString()
        content = try reader.readBytes()
        idempotencyKey = try reader.readOptionalString()
        mediaIDs = try reader.readStrings()
        try reader.expectEnd()
    }
}

/// The delivery states a message goes through (webhooks.md §3).
public enum MessageStatus: String, CaseIterable, Hashable, Sendable {
    case accepted, sent, delivered, read, failed, deleted

    /// Higher ranks win: a late `delivered` never overwrites `read`.
    public var rank: Int {
        switch self {
        case .accepted: 0
        case .sent: 1
        case .delivered: 2
        case .read: 3
        case .failed: 4
        case .deleted: 5
        }
    }
}

/// `status` (kind 3): a receipt from the network for an outbound message.
public struct StatusEvent: Hashable, Sendable {
    public var messageID: String
    public var waID: String
    public var status: MessageStatus
    public var networkTimestamp: Timestamp
    /// Error objects as compact JSON (empty when none).
    public var errors: [UInt8]
    /// The network's `conversation` and `pricing` objects as compact JSON (empty when none; payload v2).
    public var conversation: [UInt8] = []
    public var pricing: [UInt8] = []

    public init(
        messageID: String, waID: String, status: MessageStatus, networkTimestamp: Timestamp, errors: [UInt8] = [],
        conversation: [UInt8] = [], pricing: [UInt8] = []
    ) {
        self.messageID = messageID
        self.waID = waID
        self.status = status
        self.networkTimestamp = networkTimestamp
        self.errors = errors
        self.conversation = conversation
        self.pricing = pricing
    }

    public func encoded() -> [UInt8] {
        // v1 when there is no conversation, so such statuses keep their v1 bytes.
        let hasConversation = !conversation.isEmpty || !pricing.isEmpty
        var writer = PayloadWriter(version: hasConversation ? 2 : 1)
        writer.write(messageID)
        writer.write(waID)
        writer.write(status.rawValue)
        writer.write(networkTimestamp.microseconds)
        writer.write(bytes: errors)
        if hasConversation {
            writer.write(bytes: conversation)
            writer.write(bytes: pricing)
        }
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 2, kind: .status)
        messageID = try reader.readString()
        waID = try reader.readString()
        let name = try reader.readString()
        guard let status = MessageStatus(rawValue: name) else {
            throw RecordError(.malformedPayload, "unknown status '\(name)' in payload")
        }
        self.status = status
        networkTimestamp = Timestamp(microseconds: try reader.readInt64())
        errors = try reader.readBytes()
        if reader.version >= 2 {
            conversation = try reader.readBytes()
            pricing = try reader.readBytes()
        }
        try reader.expectEnd()
    }
}

/// `mark-read` (kind 4): the business marked an inbound message read.
public struct MarkReadEvent: Hashable, Sendable {
    public var messageID: String

    public init(messageID: String) { self.messageID = messageID }

    public func encoded() -> [UInt8] {
        var writer = PayloadWriter(version: 1)
        writer.write(messageID)
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 1, kind: .markRead)
        messageID = try reader.readString()
        try reader.expectEnd()
    }
}

/// `shard-change` (kind 7): ownership and shard-count changes (cluster.md §7–8).
public struct ShardChangeEvent: Hashable, Sendable {
    public enum Action: String, CaseIterable, Hashable, Sendable {
        case assigned, acquired, released
        case reshardBegin = "reshard-begin", reshardCommit = "reshard-commit", reshardAbort = "reshard-abort"
        case splitOut = "split-out", splitIn = "split-in", mergeOut = "merge-out", mergeIn = "merge-in"
    }

    public var action: Action
    public var shardCount: Int
    public var shard: UInt16
    public var ownerNodeKey: String
    public var epoch: UInt64
    public var boundarySeq: UInt64
    public var parentShard: UInt16?
    /// v2, resharding (`ShardState+Reshard.swift`): the control seq of the `reshard-begin` this record belongs
    /// to, the count before it, and for `split-in`/`merge-in` the moved state (a `ReshardTransfer`).
    public var reshardID: UInt64 = 0
    public var fromShardCount: Int = 0
    public var transfer: [UInt8] = []

    public init(action: Action, shardCount: Int, shard: UInt16, ownerNodeKey: String, epoch: UInt64,
        boundarySeq: UInt64 = 0, parentShard: UInt16? = nil)
    {
        self.action = action
        self.shardCount = shardCount
        self.shard = shard
        self.ownerNodeKey = ownerNodeKey
        self.epoch = epoch
        self.boundarySeq = boundarySeq
        self.parentShard = parentShard
    }

    public func encoded() -> [UInt8] {
        let resharding = reshardID != 0 || fromShardCount != 0 || !transfer.isEmpty
        var writer = PayloadWriter(version: resharding ? 2 : 1, capacity: 64 + transfer.count)
        writer.write(action.rawValue)
        writer.write(UInt64(shardCount))
        writer.write(UInt64(shard))
        writer.write(ownerNodeKey)
        writer.write(epoch)
        writer.write(boundarySeq)
        writer.write(parentShard != nil)
        if let parentShard { writer.write(UInt64(parentShard)) }
        if resharding {  // v2
            writer.write(reshardID)
            writer.write(UInt64(fromShardCount))
            writer.write(bytes: transfer)
        }
        return writer.bytes
    }

    public init(decoding payload: [UInt8]) throws {
        var reader = try PayloadReader(payload)
        try checkVersion(reader, supported: 2, kind: .shardChange)
        let name = try reader.readString()
        guard let action = Action(rawValue: name) else {
            throw RecordError(.malformedPayload, "unknown shard-change action '\(name)'")
        }
        self.action = action
        shardCount = try reader.readInt()
        shard = UInt16(truncatingIfNeeded: try reader.readUInt64())
        ownerNodeKey = try reader.readString()
        epoch = try reader.readUInt64()
        boundarySeq = try reader.readUInt64()
        parentShard = try reader.readBool() ? UInt16(truncatingIfNeeded: try reader.readUInt64()) : nil
        if reader.version >= 2 {
            reshardID = try reader.readUInt64()
            fromShardCount = try reader.readInt()
            transfer = try reader.readBytes()
        }
        try reader.expectEnd()
    }
}
