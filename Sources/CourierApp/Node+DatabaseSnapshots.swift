import CourierCore
import CourierLog
import CourierStore
import Logging

extension Node {
    /// eventlog.md §7: "with none usable, replay starts from PostgreSQL's snapshot". When the live log's
    /// control stream no longer starts at seq 1 (GC removed its first segments) and no local control
    /// snapshot is usable back to its first record, the newest control snapshot stored in PostgreSQL is
    /// written to the local snapshot store, so the shard map and the control actor replay from it like
    /// from a local one. Touches PostgreSQL only then. Returns the seq of the snapshot restored, or nil.
    @discardableResult
    static func restoreControlSnapshotFromDatabase(
        database: DatabaseConfiguration, log: any EventLog, snapshots: SnapshotStore, logger: Logger
    ) async throws -> UInt64? {
        guard let stream = log.streams().first(where: { $0.shard == Record.controlShard }), stream.firstSeq > 1 else { return nil }
        let needed = stream.firstSeq - 1
        // libpq and snapshot files block: a dedicated thread, never the cooperative pool.
        let worker = PGWorker(url: database.connectionString, name: "courier-pg-snapshot")
        defer { worker.stop() }
        let restored: Result<UInt64?, any Error>
        do {
            restored = .success(
                try await worker.run { () throws -> UInt64? in
                    if let local = newestUsableControlSnapshot(snapshots), local >= needed { return nil }
                    let connection = try DatabaseBootstrap.connect(database) { message in
                        logger.warning("waiting for PostgreSQL", metadata: ["db": "\(database.displayName)", "error": "\(message)"])
                    }
                    guard let (seq, state) = try PostgresCompaction.newestControlSnapshot(connection) else { return nil }
                    // Replay goes on from the live log's records after it: it must reach them, and not pass them.
                    guard seq >= needed, seq <= stream.lastSeq else {
                        throw AppError("PostgreSQL's control snapshot covers seq \(seq); the live log's control stream holds seq \(stream.firstSeq)...\(stream.lastSeq)")
                    }
                    try snapshots.write(
                        shard: Record.controlShard, seq: seq, epoch: state.epoch, timestamp: state.lastTimestamp,
                        payload: state.snapshotPayload())
                    return seq
                })
        } catch {
            restored = .failure(error)
        }
        switch restored {
        case .success(let seq):
            if let seq {
                logger.warning(
                    "no usable local control snapshot: restored PostgreSQL's",
                    metadata: ["log.snapshot.seq": "\(seq)", "log.first_seq": "\(stream.firstSeq)"])
            }
            return seq
        case .failure(let error as AppError):
            throw error
        case .failure(let error as StoreError):
            throw AppError("restoring the control snapshot from PostgreSQL \(database.displayName): \(error.message)")
        case .failure(let error):
            throw AppError("restoring the control snapshot from PostgreSQL \(database.displayName): \(error)")
        }
    }

    /// The seq of the newest local control snapshot that loads and decodes, as the control actor would take it.
    private static func newestUsableControlSnapshot(_ store: SnapshotStore) -> UInt64? {
        for file in store.snapshots(shard: Record.controlShard) {
            // A damaged file is skipped, as replay skips it.
            guard let (header, payload) = try? store.load(file), let state = try? ControlState(snapshot: payload),
                state.appliedSeq == header.seq
            else { continue }
            return header.seq
        }
        return nil
    }
}
