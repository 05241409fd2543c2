import CourierCore

/// Message GC's PostgreSQL part (eventlog.md §7, GC step 4): the shard's snapshot is stored, then the
/// stream's event rows up to its seq and older snapshots are deleted in batches of at most 10 000
/// rows, each its own short transaction, so no long lock is ever held.
public enum PostgresCompaction {
    public static let batchRows = 10_000
    /// Larger snapshots are not stored (one bytea parameter); their rows stay until a later run.
    public static let maximumSnapshotBytes = 128 << 20

    public struct Snapshot: Sendable {
        public var shard: UInt16
        public var seq: UInt64
        public var epoch: UInt64
        public var timestamp: Timestamp
        public var formatVersion: UInt8
        public var payload: [UInt8]

        public init(shard: UInt16, seq: UInt64, epoch: UInt64, timestamp: Timestamp, formatVersion: UInt8, payload: [UInt8]) {
            self.shard = shard
            self.seq = seq
            self.epoch = epoch
            self.timestamp = timestamp
            self.formatVersion = formatVersion
            self.payload = payload
        }
    }

    /// Stores `snapshot` (a no-op when already there), then deletes the stream's event rows with
    /// seq ≤ its seq and its older snapshots. The caller makes sure those rows are replicated first,
    /// or the replicator would not add them later. With `projectionTimeout` (a shard stream, whose rows
    /// the `messages` projection reads) rows go only once the projection has passed the snapshot's
    /// seq: after waiting that long without it, only the snapshot is stored (a later run deletes
    /// them), so a lagging projection never loses a send. Returns the event rows deleted.
    public static func compact(
        _ connection: PGConnection, snapshot: Snapshot, nodeKey: String, projectionTimeout: Duration? = nil
    ) throws -> Int {
        guard snapshot.payload.count <= maximumSnapshotBytes else {
            throw StoreError(.query, "snapshot of stream \(snapshot.shard) has \(snapshot.payload.count) bytes, above the \(maximumSnapshotBytes) stored")
        }
        let shard = String(snapshot.shard)
        let seq = String(snapshot.seq)
        _ = try connection.execute(
            """
            INSERT INTO snapshots (shard, seq, epoch, time_us, format, payload, checksum, node_key)
            VALUES ($1, $2, $3, $4, $5, $6::bytea, $7, $8) ON CONFLICT (shard, seq) DO NOTHING
            """,
            [
                shard, seq, String(snapshot.epoch), String(snapshot.timestamp.microseconds), String(snapshot.formatVersion),
                "\\x" + hex(snapshot.payload), String(CRC32C.checksum(snapshot.payload)), nodeKey,
            ])
        if let projectionTimeout,
            try !waitForProjection(connection, shard: snapshot.shard, seq: snapshot.seq, timeout: projectionTimeout)
        {
            return 0
        }
        var deleted = 0
        while true {
            let result = try connection.execute(
                "DELETE FROM events WHERE shard = $1 AND seq IN (SELECT seq FROM events WHERE shard = $1 AND seq <= $2 ORDER BY seq LIMIT \(batchRows))",
                [shard, seq])
            deleted += result.affected
            if result.affected < batchRows { break }
        }
        _ = try connection.execute("DELETE FROM snapshots WHERE shard = $1 AND seq < $2", [shard, seq])
        return deleted
    }

    /// The shard's newest stored snapshot: seq and state.
    public static func newestSnapshot(_ connection: PGConnection, shard: UInt16) throws -> (seq: UInt64, state: ShardState)? {
        guard let (seq, payload) = try newestSnapshotPayload(connection, stream: shard) else { return nil }
        return (seq, try ShardState(snapshot: payload))
    }

    /// The stream's newest stored snapshot, its checksum verified: seq and payload.
    static func newestSnapshotPayload(_ connection: PGConnection, stream: UInt16) throws -> (seq: UInt64, payload: [UInt8])? {
        try newestStoredSnapshot(connection, stream: stream).map { ($0.seq, $0.payload) }
    }

    /// The stream's newest stored snapshot as stored (header and payload), its checksum verified; the
    /// payload is not decoded.
    public static func newestStoredSnapshot(_ connection: PGConnection, stream: UInt16) throws -> Snapshot? {
        let name = stream == Record.controlShard ? "the control stream" : "shard \(stream)"
        let rows = try connection.execute(
            "SELECT seq, epoch, time_us, format, payload, checksum FROM snapshots WHERE shard = $1 ORDER BY seq DESC LIMIT 1",
            [String(stream)]
        ).rows
        guard let row = rows.first else { return nil }
        guard let seq = row[0].flatMap({ UInt64($0) }), let epoch = row[1].flatMap({ UInt64($0) }),
            let time = row[2].flatMap({ Int64($0) }), let format = row[3].flatMap({ UInt8($0) }),
            let payload = row[4].flatMap(PostgresEventReader.decodeByteaHex), let checksum = row[5].flatMap({ UInt32($0) })
        else { throw StoreError(.query, "malformed snapshots row for \(name)") }
        guard CRC32C.checksum(payload) == checksum else { throw StoreError(.query, "snapshot of \(name) at \(seq) is damaged") }
        return Snapshot(
            shard: stream, seq: seq, epoch: epoch, timestamp: Timestamp(microseconds: time), formatVersion: format, payload: payload)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
