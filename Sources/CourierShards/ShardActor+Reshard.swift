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
            let changes = batch.map { Event.shardChange($0) }
            let payloads = changes.map { $0.encodedPayload() }
            let positions: [LogPosition]
            do {
                positions = try await log.append(payloads.map { LogEntry(shard: shard, epoch: epoch, kind: .shardChange, payload: $0) })
            } catch {
                throw ShardError((error as? LogError)?.code == .closed ? .stopped : .storage, "\(error)")
            }
            // Reentrancy: applied in seq order with whatever else reached the reorder buffer.
            for (index, position) in positions.enumerated() {
                stage(changes[index], payload: payloads[index], at: position)
            }
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
