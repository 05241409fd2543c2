import CourierCore
import CourierLog
import Foundation

/// One connected stretch of replication: the connection, the watermarks PostgreSQL reported, and
/// the streams that stopped. Lives on the replicator thread only; a connection error ends it.
final class ReplicationSession {
    private let replicator: Replicator
    private let connection: PGConnection
    private var watermarks: [UInt16: UInt64] = [:]
    /// How far each stream is folded into the `messages` projection (never beyond `watermarks`).
    private var projected: [UInt16: UInt64] = [:]
    private var stopped: [UInt16: String] = [:]
    /// Whether the last `shipPending` filled a whole batch: the replicator is catching up.
    private(set) var catchingUp = false

    init(replicator: Replicator) throws {
        self.replicator = replicator
        connection = try PGConnection(url: replicator.database.connectionString)
        try connection.execute("CREATE TEMP TABLE events_stage (LIKE events) ON COMMIT DELETE ROWS")
        try connection.execute("CREATE TEMP TABLE messages_stage (LIKE messages) ON COMMIT DELETE ROWS")
        // Resume from PostgreSQL's watermarks: they were committed with the rows they cover.
        let rows = try connection.execute("SELECT shard, replicated_seq FROM stream_watermarks")
        for row in rows.rows {
            guard let shard = row[0].flatMap({ UInt16($0) }), let seq = row[1].flatMap({ UInt64($0) }) else { continue }
            watermarks[shard] = seq
            replicator.waiters.advance(shard: shard, to: seq)
        }
        for row in try connection.execute("SELECT shard, projected_seq FROM projection_watermarks").rows {
            guard let shard = row[0].flatMap({ UInt16($0) }), let seq = row[1].flatMap({ UInt64($0) }) else { continue }
            projected[shard] = seq
        }
        let divergent = try connection.execute(
            "SELECT DISTINCT shard FROM divergences WHERE node_key = $1", [replicator.configuration.nodeKey])
        for row in divergent.rows {
            if let shard = row[0].flatMap({ UInt16($0) }) { stop(shard, reason: "divergent record recorded earlier") }
        }
    }

    /// Ships what is behind, every stream in one transaction (≤ `maximumBatchRecords` records or
    /// `maximumBatchBytes` in all); returns whether anything was shipped.
    func shipPending() throws -> Bool {
        var batches: [(shard: UInt16, records: [Record])] = []
        var recordBudget = replicator.configuration.maximumBatchRecords
        var byteBudget = replicator.configuration.maximumBatchBytes
        for stream in replicator.log.streams() where stopped[stream.shard] == nil && recordBudget > 0 && byteBudget > 0 {
            let watermark = watermarks[stream.shard] ?? 0
            guard stream.lastSeq > watermark else { continue }
            // Only durable records: the log may already hold a newer commit whose sync is pending.
            let records = try replicator.log.read(shard: stream.shard, fromSeq: watermark + 1, limit: recordBudget)
                .prefix { $0.seq <= stream.lastSeq }
            guard let first = records.first, first.seq == watermark + 1 else {
                stop(stream.shard, reason: "the local log no longer holds seq \(watermark + 1) of stream \(stream.shard)")
                continue
            }
            let taken = Array(records.prefix { record in
                let fits = byteBudget >= record.encodedCount || record.seq == first.seq
                if fits { byteBudget -= record.encodedCount }
                return fits
            })
            recordBudget -= taken.count
            batches.append((stream.shard, taken))
        }
        catchingUp = recordBudget <= 0 || byteBudget <= 0
        if !batches.isEmpty { try ship(batches) }
        updateStatus()
        return !batches.isEmpty
    }

    /// Records replicated but not yet folded into the `messages` projection, over every stream.
    var projectionLag: UInt64 {
        watermarks.reduce(0) { lag, entry in lag + (entry.value - min(entry.value, projected[entry.key] ?? 0)) }
    }

    /// Folds replicated records into the `messages` projection in its own transaction (≤ the batch
    /// limits), with the projection watermarks; returns whether anything was projected. Records the
    /// local log no longer holds are skipped with a warning: the projection is never a source of truth.
    func projectPending() throws -> Bool {
        var batches: [(shard: UInt16, last: UInt64, records: [Record])] = []
        var budget = replicator.configuration.maximumBatchRecords
        for (shard, watermark) in watermarks.sorted(by: { $0.key < $1.key }) where budget > 0 {
            let from = (projected[shard] ?? 0) + 1
            guard watermark >= from else { continue }
            let records = try replicator.log.read(shard: shard, fromSeq: from, limit: min(budget, Int(watermark - from + 1)))
                .prefix { $0.seq <= watermark }
            if let first = records.first, first.seq != from {
                replicator.logger.warning(
                    "messages projection skips records the local log no longer holds",
                    metadata: ["shard.id": "\(shard)", "log.seq": "\(from)..\(first.seq - 1)"])
            }
            let last = records.last?.seq ?? watermark
            budget -= max(records.count, 1)
            batches.append((shard, last, Array(records)))
        }
        guard !batches.isEmpty else { return false }
        try connection.execute("BEGIN")
        do {
            try MessageProjection.apply(batches.flatMap(\.records), connection: connection)
            var values: [String] = []
            var parameters: [String?] = []
            for batch in batches {
                values.append("($\(parameters.count + 1)::integer, $\(parameters.count + 2)::bigint)")
                parameters += [String(batch.shard), String(batch.last)]
            }
            try connection.execute(
                """
                INSERT INTO projection_watermarks (shard, projected_seq) VALUES \(values.joined(separator: ", "))
                ON CONFLICT (shard) DO UPDATE SET
                    projected_seq = GREATEST(projection_watermarks.projected_seq, EXCLUDED.projected_seq), updated_at = now()
                """, parameters)
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
        for batch in batches { projected[batch.shard] = batch.last }
        replicator.metrics.projected.increment(by: batches.reduce(0) { $0 + $1.records.count })
        let lag = projectionLag
        replicator.statusBox.withLock { $0.projectionLag = lag }
        replicator.metrics.projectionLag.record(Double(lag))
        return true
    }

    private func ship(_ batches: [(shard: UInt16, records: [Record])]) throws {
        let records = batches.flatMap(\.records)
        try connection.execute("BEGIN")
        do {
            for batch in batches {
                if let reason = try fence(shard: batch.shard, records: batch.records) {
                    try connection.execute("ROLLBACK")
                    stop(batch.shard, reason: reason)
                    return
                }
            }
            let checksums = records.map { Int64($0.checksum) }
            try connection.copyIn("COPY events_stage FROM STDIN (FORMAT binary)", data: Self.eventRows(records, checksums: checksums))
            let inserted = try connection.execute("INSERT INTO events SELECT * FROM events_stage ON CONFLICT (shard, seq) DO NOTHING")
            // Only a conflict can hide a divergence: skip the join when every row went in.
            if inserted.affected < records.count {
                let divergent = try connection.execute(
                    """
                    SELECT s.shard, s.seq, s.checksum, e.checksum FROM events_stage s
                    JOIN events e ON e.shard = s.shard AND e.seq = s.seq
                    WHERE e.checksum <> s.checksum ORDER BY s.shard, s.seq LIMIT 1
                    """)
                if let row = divergent.rows.first, let shard = row[0].flatMap({ UInt16($0) }) {
                    try connection.execute("ROLLBACK")
                    try recordDivergence(shard: shard, row: Array(row.dropFirst()))
                    return
                }
            }
            try ControlProjection.apply(records, connection: connection)
            try advanceWatermarks(batches)
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")  // a dropped connection rolls back on the server anyway
            throw error
        }
        for batch in batches {
            let last = batch.records[batch.records.count - 1].seq
            watermarks[batch.shard] = last
            replicator.waiters.advance(shard: batch.shard, to: last)
        }
        replicator.statusBox.withLock { status in
            status.shippedRecords += UInt64(records.count)
            status.shippedBatches += 1
        }
        replicator.metrics.shipped.increment(by: records.count)
        replicator.metrics.batches.increment()
    }

    /// One statement for every stream's watermark, in the shipping transaction.
    private func advanceWatermarks(_ batches: [(shard: UInt16, records: [Record])]) throws {
        var values: [String] = []
        var parameters: [String?] = [replicator.configuration.nodeKey]
        for batch in batches {
            let last = batch.records[batch.records.count - 1]
            let base = parameters.count
            values.append("($\(base + 1)::integer, $\(base + 2)::bigint, $\(base + 3)::bigint, $1)")
            parameters += [String(batch.shard), String(last.seq), String(last.timestamp.microseconds)]
        }
        try connection.execute(
            """
            INSERT INTO stream_watermarks (shard, replicated_seq, replicated_time_us, node_key)
            VALUES \(values.joined(separator: ", "))
            ON CONFLICT (shard) DO UPDATE SET
                replicated_seq = GREATEST(stream_watermarks.replicated_seq, EXCLUDED.replicated_seq),
                replicated_time_us = EXCLUDED.replicated_time_us, node_key = EXCLUDED.node_key, updated_at = now()
            """, parameters)
    }

    /// The shard map's epoch must equal the records' (eventlog.md §6 "Fenced"); a stream this node is
    /// the first to write is claimed at its records' epoch. Returns why shipping must stop, or nil.
    private func fence(shard: UInt16, records: [Record]) throws -> String? {
        let rows = try connection.execute("SELECT epoch FROM shard_map WHERE shard = $1 FOR SHARE", [String(shard)])
        var mapEpoch = rows.rows.first?[0].flatMap { UInt64($0) }
        if mapEpoch == nil {
            try connection.execute(
                "INSERT INTO shard_map (shard, epoch, owner, shard_count) VALUES ($1, $2, $3, $4) ON CONFLICT (shard) DO NOTHING",
                [String(shard), String(records[0].epoch), replicator.configuration.nodeKey, String(replicator.configuration.shardCount)])
            mapEpoch = try connection.execute("SELECT epoch FROM shard_map WHERE shard = $1 FOR SHARE", [String(shard)])
                .rows.first?[0].flatMap { UInt64($0) }
        }
        guard let mapEpoch else { return "stream \(shard) has no shard map entry" }
        if let stale = records.first(where: { $0.epoch != mapEpoch }) {
            return "fenced: stream \(shard) seq \(stale.seq) has epoch \(stale.epoch), the shard map has \(mapEpoch)"
        }
        return nil
    }

    private func recordDivergence(shard: UInt16, row: [String?]) throws {
        let seq = row[0] ?? "?"
        try connection.execute(
            """
            INSERT INTO divergences (shard, seq, node_key, local_checksum, stored_checksum)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
            """,
            [String(shard), seq, replicator.configuration.nodeKey, row[1], row[2]])
        replicator.logger.error(
            "divergent record: replication of the stream stopped",
            metadata: ["shard.id": "\(shard)", "log.seq": "\(seq)"])
        stop(shard, reason: "divergent record at shard \(shard) seq \(seq): PostgreSQL holds another checksum")
    }

    private func stop(_ shard: UInt16, reason: String) {
        stopped[shard] = reason
        replicator.waiters.stop(shard: shard, reason: reason)
    }

    private func updateStatus() {
        let lag = projectionLag
        replicator.statusBox.withLock { $0.projectionLag = lag }
        replicator.refreshStatus(watermarks: watermarks, stopped: stopped)
    }

    static func eventRows(_ records: [Record], checksums: [Int64]) -> [UInt8] {
        var writer = BinaryCopyWriter(capacity: records.reduce(64) { $0 + $1.payload.count + 64 })
        for (record, checksum) in zip(records, checksums) {
            writer.beginRow(fields: 7)
            writer.int32(Int32(record.shard))
            writer.int64(Int64(record.seq))
            writer.int64(Int64(record.epoch))
            writer.int64(record.timestamp.microseconds)
            writer.int16(Int16(bitPattern: record.kindCode))
            writer.bytea(record.payload)
            writer.int64(checksum)
        }
        return writer.finished()
    }
}
