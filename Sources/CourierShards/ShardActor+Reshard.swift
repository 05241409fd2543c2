import CourierCore
import CourierLog

extension ShardActor {
    /// Waits until no append of this shard is in flight and every durable record is applied (the cutover
    /// runs with the directory's gate closed, so nothing new arrives meanwhile).
    func quiesce() async {
        while pendingAppends > 0 || !reorder.isEmpty || snapshotInFlight { try? await Task.sleep(for: .milliseconds(1)) }
    }

    /// The seq of the last applied record.
    public var appliedSeq: UInt64 { state.appliedSeq }

    /// Whether a GC run is in progress on this stream (a reshard waits for it to end).
    var gcRunning: Bool { state.gcRun != nil }

    /// What this shard moves to `target` under `plan`, and the seq it is taken at.
    func transfers(to target: UInt16, plan: ReshardPlan) -> (transfers: [ReshardTransfer], seq: UInt64) {
        (state.transfers(to: target, plan: plan), state.appliedSeq)
    }

    /// Appends `shard-change` records of this stream (`split-in`, `merge-in`, `split-out`, `merge-out`,
    /// `reshard-abort`) in batches, applies them, and returns once they are durable and acknowledged. Moved
    /// outbox entries go to the dispatcher like any others.
    @discardableResult
    func appendShardChanges(_ events: [ShardChangeEvent]) async throws -> [LogPosition] {
        var all: [LogPosition] = []
        var start = 0
        while start < events.count {
            let batch = events[start..<min(start + 10_000, events.count)]
            start += batch.count
            let positions = try await appendAndStage(batch.map { .shardChange($0) })
            try applyReadyRecords()
            if let last = positions.last, let acknowledgement = configuration.acknowledgement {
                do {
                    try await acknowledgement(last)
                } catch {
                    throw ShardError(.notReplicated, "PostgreSQL did not confirm shard \(shard) seq \(last.seq) in time")
                }
                releaseOutbox(upTo: last.seq)
            }
            all += positions
        }
        return all
    }

    /// Whether this stream has a `split-out`/`merge-out` of reshard `reshardID` after `seq` (restart recovery).
    func hasOutRecord(reshardID: UInt64, after seq: UInt64) throws -> Bool {
        var found = false
        try log.forEachRecord(shard: shard, fromSeq: seq + 1) { record in
            guard !found, record.kindCode == EventKind.shardChange.rawValue,
                case .shardChange(let change)? = try Event.decode(record)
            else { return }
            if change.reshardID == reshardID && (change.action == .splitOut || change.action == .mergeOut) { found = true }
        }
        return found
    }
}
