import CourierCore

/// Keeps the `messages` table (current status per message) in step with replicated events, in the
/// projection's transaction. One row per message per batch, so one upsert covers a send and its statuses.
///
/// Only a `send` creates a row; a status only raises the status of an existing row. The shard state
/// never creates a message from a status either: a status for a message GC already collected is still
/// logged and posted (operations.md §4) but brings no message back, so neither does the projection, and
/// no row outlives the message (GC deletes rows projected up to its snapshot only).
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
        /// Whether this batch holds the message's `send`: only then may the row be inserted.
        var sent: Bool
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
                    seq: record.seq, sent: true)
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
                        statusMicroseconds: record.timestamp.microseconds, seq: record.seq, sent: false)
                }
            default:
                break
            }
        }
        let ordered = order.map { rows[$0]! }
        let sent = ordered.filter(\.sent)
        let statusOnly = ordered.filter { !$0.sent }
        if !sent.isEmpty {
            try stage(sent, connection: connection)
            try connection.execute(
                """
                INSERT INTO messages SELECT * FROM messages_stage
                ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank,
                    status_us = EXCLUDED.status_us
                WHERE messages.status_rank < EXCLUDED.status_rank
                """)
        }
        if !statusOnly.isEmpty {
            // The stage is reused within the transaction: empty it of the sends first.
            if !sent.isEmpty { try connection.execute("DELETE FROM messages_stage") }
            try stage(statusOnly, connection: connection)
            try connection.execute(
                """
                UPDATE messages SET status = s.status, status_rank = s.status_rank, status_us = s.status_us
                FROM messages_stage s
                WHERE messages.id = s.id AND messages.shard = s.shard AND messages.status_rank < s.status_rank
                """)
        }
    }

    /// Copies `rows` into the transaction's `messages_stage`.
    private static func stage(_ rows: [Row], connection: PGConnection) throws {
        var writer = BinaryCopyWriter()
        for row in rows {
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
    }
}
