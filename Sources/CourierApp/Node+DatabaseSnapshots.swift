import CourierCore
import CourierLog
import CourierStore
import Logging

extension Node {
    /// eventlog.md §7: "with none usable, replay starts from PostgreSQL's snapshot". For each stream of the
    /// live log (shards and control) that no longer starts at seq 1 (GC removed its first segments) and has
    /// no local snapshot usable back to its first record, the newest snapshot stored in PostgreSQL is
    /// written to the local snapshot store, so the shard map, the shard actors and the control actor replay
    /// from it as from a local one. Touches PostgreSQL only then. Returns the restored seq per stream.
    @discardableResult
    static func restoreSnapshotsFromDatabase(
        database: DatabaseConfiguration, log: any EventLog, snapshots: SnapshotStore, logger: Logger
    ) async throws -> [UInt16: UInt64] {
        let streams = log.streams().filter { $0.firstSeq > 1 }
        guard !streams.isEmpty else { return [:] }
        // libpq and snapshot files block: a dedicated thread, never the cooperative pool.
        let worker = PGWorker(url: database.connectionString, name: "courier-pg-snapshot")
        defer { worker.stop() }
        let restored: Result<[UInt16: UInt64], any Error>
        do {
            restored = .success(
                try await worker.run {
                    var connection: PGConnection? = nil
                    var restored: [UInt16: UInt64] = [:]
                    for stream in streams {
                        if let local = newestUsableSnapshot(snapshots, stream: stream.shard), local >= stream.firstSeq - 1 { continue }
                        let open = try connection ?? DatabaseBootstrap.connect(database) { message in
                            logger.warning("waiting for PostgreSQL", metadata: ["db": "\(database.displayName)", "error": "\(message)"])
                        }
                        connection = open
                        if let seq = try restore(stream, from: open, into: snapshots) { restored[stream.shard] = seq }
                    }
                    return restored
                })
        } catch {
            restored = .failure(error)
        }
        switch restored {
        case .success(let seqs):
            for (stream, seq) in seqs.sorted(by: { $0.key < $1.key }) {
                logger.warning(
                    "no usable local snapshot: restored PostgreSQL's",
                    metadata: ["shard.id": "\(LogInspector.streamName(stream))", "log.snapshot.seq": "\(seq)"])
            }
            return seqs
        case .failure(let error as AppError):
            throw error
        case .failure(let error as StoreError):
            throw AppError("restoring snapshots from PostgreSQL \(database.displayName): \(error.message)")
        case .failure(let error):
            throw AppError("restoring snapshots from PostgreSQL \(database.displayName): \(error)")
        }
    }

    /// Writes PostgreSQL's newest snapshot of `stream` to the local store when it decodes and replay can go
    /// on from it with the live log's records; returns its seq, or nil when PostgreSQL has none.
    private static func restore(_ stream: StreamSummary, from connection: PGConnection, into store: SnapshotStore) throws -> UInt64? {
        guard let snapshot = try PostgresCompaction.newestStoredSnapshot(connection, stream: stream.shard) else { return nil }
        let name = LogInspector.streamName(stream.shard)
        guard covers(payload: snapshot.payload, stream: stream.shard, seq: snapshot.seq) else {
            throw AppError("PostgreSQL's snapshot of stream \(name) at seq \(snapshot.seq) cannot be read by this build")
        }
        // Replay goes on from the live log's records after it: it must reach them, and not pass them.
        guard snapshot.seq >= stream.firstSeq - 1, snapshot.seq <= stream.lastSeq else {
            throw AppError(
                "PostgreSQL's snapshot of stream \(name) covers seq \(snapshot.seq); the live log holds seq \(stream.firstSeq)...\(stream.lastSeq)")
        }
        try store.write(shard: stream.shard, seq: snapshot.seq, epoch: snapshot.epoch, timestamp: snapshot.timestamp, payload: snapshot.payload)
        return snapshot.seq
    }

    /// The seq of the newest local snapshot of `stream` whose file is whole (checksum verified). It is not
    /// decoded here, which would double the start's snapshot work: a whole file this build cannot decode
    /// has a format PostgreSQL's copy shares.
    private static func newestUsableSnapshot(_ store: SnapshotStore, stream: UInt16) -> UInt64? {
        for file in store.snapshots(shard: stream) {
            // A damaged file is skipped, as replay skips it.
            guard let (header, _) = try? store.load(file) else { continue }
            return header.seq
        }
        return nil
    }

    /// Whether `payload` decodes as the state of `stream` as of `seq` (the check replay makes).
    private static func covers(payload: [UInt8], stream: UInt16, seq: UInt64) -> Bool {
        if stream == Record.controlShard {
            // An undecodable snapshot is not usable; the caller says why.
            guard let state = try? ControlState(snapshot: payload) else { return false }
            return state.appliedSeq == seq
        }
        guard let state = try? ShardState(snapshot: payload) else { return false }  // likewise
        return state.shard == stream && state.appliedSeq == seq
    }
}
