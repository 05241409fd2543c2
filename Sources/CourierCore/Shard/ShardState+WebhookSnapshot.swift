/// The webhook part of a shard snapshot (format v3): inbound messages in id order, then pending outbox
/// entries in seq order, each item stored as its event's payload.
extension ShardState {
    func writeWebhooks(to writer: inout PayloadWriter) {
        writer.write(UInt64(webhooks.inbound.count))
        for id in webhooks.inbound.keys.sorted() {
            let message = webhooks.inbound[id]!
            writer.write(id)
            writer.write(message.from)
            writer.write(message.type)
            writer.write(message.receivedAt.microseconds)
            writer.write(message.read)
        }
        writer.write(UInt64(webhooks.outbox.count))
        for entry in webhooks.outbox {
            writer.write(entry.seq)
            writer.write(entry.waID)
            writer.write(entry.createdAt.microseconds)
            switch entry.item {
            case .inbound: writer.write(UInt64(EventKind.receipt.rawValue))
            case .status: writer.write(UInt64(EventKind.status.rawValue))
            case .service: writer.write(UInt64(EventKind.gc.rawValue))  // a service result comes from a `gc result`
            }
            writer.write(bytes: entry.encodedItem)
        }
    }

    mutating func readWebhooks(from reader: inout PayloadReader) throws {
        let inboundCount = try reader.readInt()
        for _ in 0..<inboundCount {
            let id = try reader.readString()
            let from = try reader.readString()
            let type = try reader.readString()
            let receivedAt = Timestamp(microseconds: try reader.readInt64())
            let read = try reader.readBool()
            webhooks.inbound[id] = InboundMessage(from: from, type: type, receivedAt: receivedAt, read: read)
        }
        let outboxCount = try reader.readInt()
        for _ in 0..<outboxCount {
            let seq = try reader.readUInt64()
            let waID = try reader.readString()
            let createdAt = Timestamp(microseconds: try reader.readInt64())
            let kind = try reader.readUInt64()
            let payload = try reader.readBytes()
            let item: OutboxItem
            switch kind {
            case UInt64(EventKind.receipt.rawValue): item = .inbound(try ReceiptEvent(decoding: payload))
            case UInt64(EventKind.status.rawValue): item = .status(try StatusEvent(decoding: payload))
            case UInt64(EventKind.gc.rawValue): item = .service(payload)
            default: throw RecordError(.malformedPayload, "unknown outbox item kind \(kind) in snapshot")
            }
            webhooks.outbox[seq] = OutboxEntry(shard: shard, seq: seq, waID: waID, item: item, createdAt: createdAt, encodedItem: payload)
        }
    }
}
