import CourierCore
import CourierLog
import CourierShards
import CourierStore
import Logging
import ServiceLifecycle

/// Automatic message GC and event-log rotation: checks `db_garbagecollector_enable` every few seconds and starts a run when
/// the schedule says so. Automatic runs post no callback (operations.md §4).
struct AutoGCService: Service {
    let gc: MessageGC
    let control: ControlActor
    let intervalSeconds: Int
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    func run() async throws {
        // Graceful shutdown cancels the loop; a run in progress stops at its next step's append.
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        var schedule = AutoGCSchedule(intervalSeconds: intervalSeconds, startedAt: clock())
        let tick = Duration.seconds(min(5, intervalSeconds))
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: tick)
            } catch {
                return  // cancelled: shutting down
            }
            let enabled: Bool
            switch await control.applicationSettings()["db_garbagecollector_enable"] {
            case .bool(let value)?: enabled = value
            case .string(let text)?: enabled = text.lowercased() == "true" || text == "1"
            default: enabled = false
            }
            if schedule.shouldStart(now: clock(), enabled: enabled, running: await gc.isRunning) {
                await gc.start(automatic: true)
            }
            // Rotation rides on the same tick: covered, replicated sealed segments go to the archive.
            do {
                try await gc.rotate()
            } catch {
                logger.error("event log rotation failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension Node {
    static func makeMessageGC(
        configuration: NodeConfiguration, shards: ShardDirectory, log: LMDBEventLog, nodeKey: String, replicator: Replicator?,
        logger: Logger, control: ControlActor? = nil
    ) -> MessageGC {
        var gcConfiguration = MessageGC.Configuration(nodeKey: nodeKey)
        gcConfiguration.retentionDays = configuration.gcRetentionDays
        var replicatedSeqs: (@Sendable () -> [UInt16: UInt64])? = nil
        if let replicator {
            replicatedSeqs = { replicator.status.streams.mapValues { $0.replicatedSeq } }
        }
        var compactDatabase: (@Sendable (ShardActor.GCPassResult, SnapshotStore?) async throws -> Int)? = nil
        if let replicator, let database = configuration.database {
            // Its own connection on its own thread, opened on first use (at most 4 per node, operations.md §2).
            let worker = PGWorker(url: database.connectionString, name: "courier-pg-gc")
            let nodeKey = nodeKey
            compactDatabase = { pass, store in
                // Rows are deleted only once replicated, or the replicator would never add them.
                try await replicator.waitReplicated(shard: pass.shard, seq: pass.snapshotSeq, timeout: .seconds(60))
                guard let store else { return 0 }
                return try await worker.perform { connection in
                    guard let file = store.snapshots(shard: pass.shard).first(where: { $0.seq == pass.snapshotSeq }) else { return 0 }
                    let (header, payload) = try store.load(file)
                    let control = pass.shard == Record.controlShard
                    let snapshot = PostgresCompaction.Snapshot(
                        shard: pass.shard, seq: header.seq, epoch: header.epoch, timestamp: header.timestamp,
                        formatVersion: control ? ControlState.snapshotFormatVersion : ShardState.snapshotFormatVersion,
                        payload: payload)
                    // A shard stream's rows go once the messages projection has read them.
                    let events = try PostgresCompaction.compact(
                        connection, snapshot: snapshot, nodeKey: nodeKey, projectionTimeout: control ? nil : .seconds(60))
                    // The control stream has no messages projection rows.
                    if control { return events }
                    // The collected messages' query rows, once the projection passed the snapshot.
                    let live = Set(try ShardState(snapshot: payload).messages.keys)
                    // `compact` already waited for the projection: check it once, do not wait again.
                    let messages = try PostgresCompaction.deleteCollectedMessages(
                        connection, shard: pass.shard, seq: header.seq, live: live, projectionTimeout: .zero)
                    return events + (messages ?? 0)
                }
            }
        }
        return MessageGC(
            shards: shards, log: log, configuration: gcConfiguration, logger: logger, replicatedSeqs: replicatedSeqs,
            compactDatabase: compactDatabase, control: control)
    }
}
