/// The encodings of a shard's items shared by snapshots and reshard transfers: an outbound message, an
/// inbound message, and an outbox entry's item (its kind code and its event's payload).
extension PayloadWriter {
    mutating func write(messageID id: String, _ message: OutboundMessage) {
        write(id)
        write(message.to)
        write(message.type)
        write(message.createdAt.microseconds)
        write(message.status.rawValue)
        write(message.statusAt.microseconds)
        write(message.bodyDigest)
        write(message.idempotencyKey)
    }

    mutating func write(inboundID id: String, _ message: InboundMessage) {
        write(id)
        write(message.from)
        write(message.type)
        write(message.receivedAt.microseconds)
        write(message.read)
    }

    /// The item's kind (`receipt`, `status`, or `gc` for a service result) and its payload as logged.
    mutating func writeOutboxItem(of entry: OutboxEntry) {
        switch entry.item {
        case .inbound: write(UInt64(EventKind.receipt.rawValue))
        case .status: write(UInt64(EventKind.status.rawValue))
        case .service: write(UInt64(EventKind.gc.rawValue))  // a service result comes from a `gc result`
        }
        write(bytes: entry.encodedItem)
    }
}

extension PayloadReader {
    /// `context` names the container in errors ("snapshot", "reshard transfer").
    mutating func readMessage(in context: String) throws -> (id: String, message: OutboundMessage) {
        let id = try readString()
        let to = try readString()
        let type = try readString()
        let created = Timestamp(microseconds: try readInt64())
        let statusName = try readString()
        guard let status = MessageStatus(rawValue: statusName) else {
            throw RecordError(.malformedPayload, "unknown status '\(statusName)' in \(context)")
        }
        let statusAt = Timestamp(microseconds: try readInt64())
        let digest = try readUInt64()
        let key = try readOptionalString()
        return (
            id,
            OutboundMessage(
                to: to, type: type, createdAt: created, status: status, statusAt: statusAt, bodyDigest: digest, idempotencyKey: key)
        )
    }

    mutating func readInbound() throws -> (id: String, message: InboundMessage) {
        let id = try readString()
        let from = try readString()
        let type = try readString()
        let receivedAt = Timestamp(microseconds: try readInt64())
        let read = try readBool()
        return (id, InboundMessage(from: from, type: type, receivedAt: receivedAt, read: read))
    }

    /// An item written by `writeOutboxItem(of:)`, with its payload (kept as the entry's `encodedItem`).
    mutating func readOutboxItem(in context: String) throws -> (item: OutboxItem, payload: [UInt8]) {
        let kind = try readUInt64()
        let payload = try readBytes()
        switch kind {
        case UInt64(EventKind.receipt.rawValue): return (.inbound(try ReceiptEvent(decoding: payload)), payload)
        case UInt64(EventKind.status.rawValue): return (.status(try StatusEvent(decoding: payload)), payload)
        case UInt64(EventKind.gc.rawValue): return (.service(payload), payload)
        default: throw RecordError(.malformedPayload, "unknown outbox item kind \(kind) in \(context)")
        }
    }
}
