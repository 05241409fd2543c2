/// A shard's state as bytes, for snapshots (eventlog.md §7): replay continues from the snapshot's
/// seq instead of the stream's start. Format 2 writes messages in creation order (GC steps walk it)
/// and adds the GC run in progress and the last one; format 3 adds inbound messages and the callback
/// outbox; formats 1 (id order) and 2 are still read.
extension ShardState {
    public static let snapshotFormatVersion: UInt8 = 3

    public func snapshotPayload() -> [UInt8] {
        var writer = PayloadWriter(version: Self.snapshotFormatVersion, capacity: 64 + messages.count * 96 + webhooks.outbox.count * 192)
        writer.write(UInt64(shard))
        writer.write(appliedSeq)
        writer.write(epoch)
        writer.write(lastTimestamp.microseconds)
        writer.write(UInt64(unknownRecords))
        writer.write(UInt64(messages.count))
        for id in creationOrder where !id.isEmpty {
            guard let message = messages[id] else { continue }  // collected by the run in progress
            writer.write(messageID: id, message)
        }
        writer.write(gcRun != nil)
        if let run = gcRun {
            // Positions count live messages only, as restored without the run's holes.
            let live = { (end: Int) in UInt64(creationOrder[..<end].lazy.filter { !$0.isEmpty }.count) }
            writer.write(run.runID)
            writer.write(run.cutoff.microseconds)
            writer.write(run.retentionMicroseconds)
            writer.write(UInt64(run.stepLimit))
            writer.write(live(run.scanIndex))
            writer.write(live(run.endIndex))
            writer.write(run.messagesDeleted)
            writer.write(UInt64(run.steps))
        }
        writer.write(lastGC != nil)
        if let last = lastGC {
            writer.write(last.runID)
            writer.write(last.outcome)
            writer.write(last.messagesDeleted)
            writer.write(last.startedAt.microseconds)
            writer.write(last.endedAt.microseconds)
            writer.write(last.snapshotSeq)
        }
        writeWebhooks(to: &writer)  // v3
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
        for _ in 0..<count {
            let (id, message) = try reader.readMessage(in: "snapshot")
            messages[id] = message
            if let key = message.idempotencyKey { idempotency[key] = id }
            creationOrder.append(id)
            if message.status == .accepted { pendingMessages += 1 }
        }
        if reader.version == 1 {
            // Id order: creation order is recovered from the creation times.
            creationOrder.sort { (messages[$0]!.createdAt, $0) < (messages[$1]!.createdAt, $1) }
        } else {
            if try reader.readBool() {
                let runID = try reader.readString()
                let cutoff = Timestamp(microseconds: try reader.readInt64())
                let retention = try reader.readInt64()
                let limit = try reader.readInt()
                let scan = try reader.readInt()
                let end = try reader.readInt()
                guard scan <= end, end <= creationOrder.count else {
                    throw RecordError(.malformedPayload, "snapshot gc run positions out of range")
                }
                gcRun = GCRunState(
                    runID: runID, cutoff: cutoff, retentionMicroseconds: retention, stepLimit: limit, scanIndex: scan,
                    endIndex: end, messagesDeleted: try reader.readUInt64(), steps: try reader.readInt())
            }
            if try reader.readBool() {
                lastGC = GCRunSummary(
                    runID: try reader.readString(), outcome: try reader.readString(), messagesDeleted: try reader.readUInt64(),
                    startedAt: Timestamp(microseconds: try reader.readInt64()),
                    endedAt: Timestamp(microseconds: try reader.readInt64()), snapshotSeq: try reader.readUInt64())
            }
        }
        if reader.version >= 3 { try readWebhooks(from: &reader) }
        try reader.expectEnd()
    }
}
