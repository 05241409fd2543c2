import CourierCore

/// Reads a stream back from PostgreSQL: the new-owner path after a failover, where the local log
/// is gone and PostgreSQL is the only copy (eventlog.md §7).
public enum PostgresEventReader {
    /// Up to `limit` records of `shard` with seq ≥ `fromSeq`, in seq order.
    public static func records(_ connection: PGConnection, shard: UInt16, fromSeq: UInt64, limit: Int) throws -> [Record] {
        let rows = try connection.execute(
            "SELECT seq, epoch, time_us, kind, payload FROM events WHERE shard = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
            [String(shard), String(fromSeq), String(limit)])
        return try rows.rows.map { row in
            guard let seq = row[0].flatMap({ UInt64($0) }), let epoch = row[1].flatMap({ UInt64($0) }),
                let time = row[2].flatMap({ Int64($0) }), let kind = row[3].flatMap({ Int32($0) }),
                let payload = row[4].flatMap(decodeByteaHex)
            else { throw StoreError(.query, "malformed events row for shard \(shard)") }
            return Record(
                shard: shard, seq: seq, epoch: epoch, timestamp: Timestamp(microseconds: time),
                kindCode: UInt16(truncatingIfNeeded: kind), payload: payload)
        }
    }

    /// Rebuilds a shard's state from PostgreSQL alone, feeding the same state machine replay uses:
    /// from the newest stored snapshot when message GC left one, else from seq 1.
    public static func rebuildShard(_ connection: PGConnection, shard: UInt16, chunk: Int = 10_000) throws -> ShardState {
        var state = ShardState(shard: shard)
        var next: UInt64 = 1
        if let snapshot = try PostgresCompaction.newestSnapshot(connection, shard: shard) {
            state = snapshot.state
            next = snapshot.seq + 1
        }
        while true {
            let records = try records(connection, shard: shard, fromSeq: next, limit: chunk)
            for record in records {
                // A gap means rows are missing: refused, never skipped (applying it would trap).
                guard record.seq == state.appliedSeq + 1 else {
                    throw StoreError(
                        .query,
                        "PostgreSQL's shard \(shard) resumes at seq \(record.seq), and no stored snapshot covers seq \(state.appliedSeq + 1)")
                }
                _ = try state.apply(record)
            }
            guard let last = records.last, records.count == chunk else { return state }
            next = last.seq + 1
        }
    }

    /// Rebuilds the control state (users, tokens, settings, account, shard count) from PostgreSQL alone:
    /// from the newest stored control snapshot when GC left one (its rows up to it may be gone), then every
    /// remaining row in seq order. A gap after the snapshot means rows are missing: refused, never skipped.
    public static func rebuildControl(_ connection: PGConnection, chunk: Int = 10_000) throws -> ControlState {
        var state = ControlState()
        if let snapshot = try PostgresCompaction.newestControlSnapshot(connection) { state = snapshot.state }
        while true {
            let records = try records(connection, shard: Record.controlShard, fromSeq: state.appliedSeq + 1, limit: chunk)
            for record in records {
                guard record.seq == state.appliedSeq + 1 else {
                    throw StoreError(
                        .query,
                        "PostgreSQL's control stream resumes at seq \(record.seq), and no stored control snapshot covers seq \(state.appliedSeq + 1)")
                }
                try state.apply(record)
            }
            guard records.count == chunk else { return state }
        }
    }

    /// bytea in PostgreSQL's text output (`\x0a1b…`).
    static func decodeByteaHex(_ text: String) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 2 - 1)
        var index = 2
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }
}
