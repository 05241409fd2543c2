import CourierCore
import Foundation

/// Message GC's part in the `messages` projection (operations.md §4: collecting removes query rows too).
extension PostgresCompaction {
    /// Deletes the `messages` rows of `shard` that GC collected: rows first projected at or below the GC
    /// snapshot's seq whose message the snapshot no longer holds. In pages of at most `batchRows` ids, each
    /// delete its own short statement. Waits (up to `projectionTimeout`) for the projection watermark to pass
    /// `seq` first, so no later projection pass re-inserts a collected message from records at or below it;
    /// returns nil, deleting nothing, when it did not (a later run deletes them). Returns the rows deleted.
    public static func deleteCollectedMessages(
        _ connection: PGConnection, shard: UInt16, seq: UInt64, live: Set<String>,
        projectionTimeout: Duration = .seconds(60)
    ) throws -> Int? {
        guard try waitForProjection(connection, shard: shard, seq: seq, timeout: projectionTimeout) else { return nil }
        var deleted = 0
        var after = ""
        while true {
            let ids = try connection.execute(
                "SELECT id FROM messages WHERE shard = $1 AND seq <= $2 AND id > $3 ORDER BY id LIMIT \(batchRows)",
                [String(shard), String(seq), after]
            ).rows.compactMap { $0[0] }
            guard let last = ids.last else { break }
            after = last
            let collected = ids.filter { !live.contains($0) }
            if !collected.isEmpty {
                deleted += try connection.execute(
                    "DELETE FROM messages WHERE shard = $1 AND seq <= $2 AND id = ANY($3::text[])",
                    [String(shard), String(seq), textArray(collected)]
                ).affected
            }
            if ids.count < batchRows { break }
        }
        return deleted
    }

    /// Waits up to `timeout` for the `messages` projection to pass `seq`; whether it did.
    static func waitForProjection(_ connection: PGConnection, shard: UInt16, seq: UInt64, timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while try projectedSeq(connection, shard: shard) < seq {
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.02)  // a PostgreSQL worker thread, never the cooperative pool
        }
        return true
    }

    /// How far the `messages` projection has followed the stream.
    static func projectedSeq(_ connection: PGConnection, shard: UInt16) throws -> UInt64 {
        try connection.execute("SELECT projected_seq FROM projection_watermarks WHERE shard = $1", [String(shard)])
            .rows.first?[0].flatMap { UInt64($0) } ?? 0
    }

    /// A PostgreSQL text[] literal.
    static func textArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
