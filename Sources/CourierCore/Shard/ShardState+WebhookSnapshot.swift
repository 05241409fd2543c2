/// The webhook part of a shard snapshot (format v3): inbound messages in id order, then pending outbox
/// entries in seq order, each item stored as its event's payload.
extension ShardState {
    func writeWebhooks(to writer: inout PayloadWriter) {
        writer.write(UInt64(webhooks.inbound.count))
        for id in webhooks.inbound.keys.sorted() {
            writer.write(inboundID: id, webhooks.inbound[id]!)
        }
        writer.write(UInt64(webhooks.outbox.count))
        for entry in webhooks.outbox {
            writer.write(entry.seq)
            writer.write(entry.waID)
            writer.write(entry.createdAt.microseconds)
            writer.writeOutboxItem(of: entry)
        }
    }

    mutating func readWebhooks(from reader: inout PayloadReader) throws {
        let inboundCount = try reader.readInt()
        for _ in 0..<inboundCount {
            let (id, message) = try reader.readInbound()
            webhooks.inbound[id] = message
        }
        let outboxCount = try reader.readInt()
        for _ in 0..<outboxCount {
            let seq = try reader.readUInt64()
            let waID = try reader.readString()
            let createdAt = Timestamp(microseconds: try reader.readInt64())
            let (item, payload) = try reader.readOutboxItem(in: "snapshot")
            webhooks.outbox[seq] = OutboxEntry(shard: shard, seq: seq, waID: waID, item: item, createdAt: createdAt, encodedItem: payload)
        }
    }
}
