import CourierCore

/// Keeps the `messages` table (current status per message) in step with replicated events, in the
/// shipping transaction. One row per message per batch, so one upsert covers a send and its statuses.
enum MessageProjection {
    struct Row {
        var id: String
        var shard: UInt16
        var waID: String
        var type: String
        var status: MessageStatus
        var createdMicroseconds: Int64
        var statusMicroseconds: Int64
        var seq: UInt64
    }

    static func apply(_ records: [Record], connection: PGConnection) throws {
        var rows: [String: Row] = [:]
        var order: [String] = []
        for record in records {
            switch try? Event.decode(record) {  // a payload this build cannot decode projects nothing
            case .send(let send)?:
                if rows[send.messageID] == nil { order.append(send.messageID) }
                rows[send.messageID] = Row(
                    id: send.messageID, shard: record.shard, waID: send.to, type: send.type, status: .accepted,
                    createdMicroseconds: record.timestamp.microseconds, statusMicroseconds: record.timestamp.microseconds,
                    seq: record.seq)
            case .status(let status)?:
                if var row = rows[status.messageID] {
                    if status.status.rank > row.status.rank {
                        row.status = status.status
                        row.statusMicroseconds = record.timestamp.microseconds
                    }
                    rows[status.messageID] = row
                } else {
                    order.append(status.messageID)
                    rows[status.messageID] = Row(
                        id: status.messageID, shard: record.shard, waID: status.waID, type: "", status: status.status,
                        createdMicroseconds: record.timestamp.microseconds,
                        statusMicroseconds: record.timestamp.microseconds, seq: record.seq)
                }
            default:
                break
            }
        }
        guard !order.isEmpty else { return }
        var writer = BinaryCopyWriter()
        for id in order {
            let row = rows[id]!
            writer.beginRow(fields: 10)
            writer.text(row.id)
            writer.int32(Int32(row.shard))
            writer.text("outbound")
            writer.text(row.waID)
            writer.text(row.type)
            writer.text(row.status.rawValue)
            writer.int16(Int16(row.status.rank))
            writer.int64(row.createdMicroseconds)
            writer.int64(row.statusMicroseconds)
            writer.int64(Int64(row.seq))
        }
        try connection.copyIn("COPY messages_stage FROM STDIN (FORMAT binary)", data: writer.finished())
        try connection.execute(
            """
            INSERT INTO messages SELECT * FROM messages_stage
            ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank,
                status_us = EXCLUDED.status_us
            WHERE messages.status_rank < EXCLUDED.status_rank
            """)
    }
}
