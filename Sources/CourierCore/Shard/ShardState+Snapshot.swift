/// A shard's state as bytes, for snapshots (eventlog.md §7): replay continues from the snapshot's
/// seq instead of the stream's start. Messages are written in id order so equal states give equal bytes.
extension ShardState {
    public static let snapshotFormatVersion: UInt8 = 2

    public func snapshotPayload() -> [UInt8] {
        var writer = PayloadWriter(version: Self.snapshotFormatVersion, capacity: 64 + messages.count * 96)
        writer.write(UInt64(shard))
        writer.write(appliedSeq)
        writer.write(epoch)
        writer.write(lastTimestamp.microseconds)
        writer.write(UInt64(unknownRecords))
        writer.write(UInt64(messages.count))
        for id in messages.keys.sorted() {
            let message = messages[id]!
            writer.write(id)
            writer.write(message.to)
            writer.write(message.type)
            writer.write(message.createdAt.microseconds)
            writer.write(message.status.rawValue)
            writer.write(message.statusAt.microseconds)
            writer.write(message.bodyDigest)
            writer.write(message.idempotencyKey)
        }
        writeWebhooks(to: &writer)  // v2
        return writer.bytes
    }

    /// Restores a state from `snapshotPayload()` bytes; throws `RecordError` for damaged or newer data.
    public init(snapshot bytes: [UInt8]) throws {
        var reader = try PayloadReader(bytes)
        guard reader.version >= 1 && reader.version <= Self.snapshotFormatVersion else {
            throw RecordError(.unsupportedVersion, "snapshot format v\(reader.version) is newer than this build")
        }
        let shard = try reader.readUInt64()
        guard shard <= UInt64(UInt16.max) else { throw RecordError(.malformedPayload, "snapshot shard out of range") }
        self.init(shard: UInt16(shard))
        appliedSeq = try reader.readUInt64()
        epoch = try reader.readUInt64()
        lastTimestamp = Timestamp(microseconds: try reader.readInt64())
        unknownRecords = try reader.readInt()
        let count = try reader.readInt()
        messages.reserveCapacity(count)
        for _ in 0..<count {
            let id = try reader.readString()
            let to = try reader.readString()
            let type = try reader.readString()
            let created = Timestamp(microseconds: try reader.readInt64())
            let statusName = try reader.readString()
            guard let status = MessageStatus(rawValue: statusName) else {
                throw RecordError(.malformedPayload, "unknown status '\(statusName)' in snapshot")
            }
            let statusAt = Timestamp(microseconds: try reader.readInt64())
            let digest = try reader.readUInt64()
            let key = try reader.readOptionalString()
            messages[id] = OutboundMessage(
                to: to, type: type, createdAt: created, status: status, statusAt: statusAt, bodyDigest: digest,
                idempotencyKey: key)
            if let key { idempotency[key] = id }
        }
        if reader.version >= 2 { try readWebhooks(from: &reader) }
        try reader.expectEnd()
    }
}
