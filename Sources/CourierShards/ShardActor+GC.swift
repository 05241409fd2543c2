import CourierCore
import CourierLog
import Logging

extension ShardActor {
    /// What one GC pass did on this shard.
    public struct GCPassResult: Hashable, Sendable {
        public var shard: UInt16
        public var runID: String
        public var messagesDeleted: UInt64
        /// The snapshot taken at the end of the run covers the stream up to here.
        public var snapshotSeq: UInt64
    }

    /// Runs a GC pass on this shard (eventlog.md §7): `gc begin`, then `gc step` records until every
    /// message of the run was examined, each append awaited so sends interleave between steps; then a
    /// snapshot at the current seq S, a `snapshot` record and `gc end`. A run left open by a crash is
    /// resumed under its own id and inputs and ended first, then `runID` runs. The caller runs one
    /// pass per shard at a time.
    public func runGC(runID: String, retentionMicroseconds: Int64, stepLimit: Int = 10_000) async throws -> GCPassResult {
        guard let store = configuration.snapshots else {
            throw ShardError(.storage, "message GC needs snapshots, and shard \(shard) has no snapshot store")
        }
        var resumedDeleted: UInt64 = 0
        while true {
            switch state.gcNext(runID: runID, retentionMicroseconds: retentionMicroseconds, stepLimit: stepLimit) {
            case .begin(let event), .step(let event):
                try await appendMaintenance(.gc(event))
            case .finish(let currentRunID):
                let snapshot = try await writeSnapshotNow(store: store)
                try await appendMaintenance(.snapshot(snapshot))
                // Reentrancy: other commands ran during the awaits; the run is still ours (one pass at a time).
                guard let end = state.gcEnd(snapshotSeq: snapshot.coveredSeq), end.runID == currentRunID else {
                    throw ShardError(.storage, "shard \(shard): GC run \(currentRunID) ended while its pass ran")
                }
                try await appendMaintenance(.gc(end))
                // A run left open by a crash was resumed and closed first; now the requested one.
                if end.runID != runID {
                    logger.info("gc run resumed after a restart ended", metadata: ["gc.run": "\(end.runID)"])
                    resumedDeleted += end.messagesDeleted
                    continue
                }
                logger.info(
                    "gc pass ended",
                    metadata: [
                        "gc.run": "\(end.runID)", "gc.deleted": "\(end.messagesDeleted)", "log.snapshot.seq": "\(end.snapshotSeq)",
                    ])
                return GCPassResult(
                    shard: shard, runID: end.runID, messagesDeleted: end.messagesDeleted + resumedDeleted, snapshotSeq: end.snapshotSeq)
            }
        }
    }

    /// Appends a maintenance record (`gc`, `snapshot`, `rotation`) and returns once it is applied.
    @discardableResult
    func appendMaintenance(_ event: Event) async throws -> LogPosition {
        let position = try await appendAndStage([event])[0]
        try applyReadyRecords()
        // Reentrancy: a lower seq appended by another command may not be applied yet; it is once its
        // appender resumes, and ours follows in the same call.
        while state.appliedSeq < position.seq { await Task.yield() }
        return position
    }

    /// Writes a snapshot of the current state on a dispatch queue (file work stays off the cooperative
    /// pool), waiting for a periodic snapshot in flight first.
    func writeSnapshotNow(store: SnapshotStore) async throws -> SnapshotEvent {
        await waitForSnapshots()
        snapshotInFlight = true
        defer { snapshotInFlight = false }
        return try await writeSnapshot(store: store)
    }

    /// A periodic snapshot (`snapshotIfDue` set `snapshotInFlight`), logged as a `snapshot` record before the
    /// next one can start.
    func periodicSnapshot() async {
        defer { snapshotInFlight = false }
        guard let store = configuration.snapshots else { return }
        do {
            let event = try await writeSnapshot(store: store)
            try await appendMaintenance(.snapshot(event))
        } catch {
            logger.error("snapshot failed", metadata: ["log.seq": "\(state.appliedSeq)", "error": "\(error)"])
        }
    }

    /// Encodes a copy of the state and writes it on a dispatch queue; the caller holds `snapshotInFlight`.
    private func writeSnapshot(store: SnapshotStore) async throws -> SnapshotEvent {
        let state = self.state
        let result: Result<SnapshotEvent, any Error>
        do {
            result = .success(
                try await store.writeInBackground(
                    stream: state.shard, name: String(state.shard), seq: state.appliedSeq, epoch: state.epoch,
                    timestamp: state.lastTimestamp, formatVersion: ShardState.snapshotFormatVersion, encode: { state.snapshotPayload() }))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let event):
            snapshotSeq = max(snapshotSeq, event.coveredSeq)
            snapshotTime = self.state.lastTimestamp
            return event
        case .failure(let error):
            throw ShardError(.storage, "shard \(shard): snapshot failed: \(error)")
        }
    }

    /// Logs `rotation` records for segments that left the live log and held records of this stream.
    public func recordRotation(_ events: [RotationEvent]) async throws {
        for event in events { try await appendMaintenance(.rotation(event)) }
    }

    /// Where this shard's snapshots go.
    public nonisolated var snapshotStore: SnapshotStore? { configuration.snapshots }

    /// The newest snapshot's seq (written or loaded).
    public var snapshotCoveredSeq: UInt64 { snapshotSeq }
}

/// A shard's counters, read in O(1) for `/v1/stats/db` and GC bookkeeping (no copy of the state).
public struct ShardCounters: Hashable, Sendable {
    public var shard: UInt16
    public var messages: Int
    public var pendingMessages: Int
    public var gcRunID: String?
    public var lastGC: GCRunSummary?
}

extension ShardActor {
    public var counters: ShardCounters {
        ShardCounters(
            shard: shard, messages: state.messages.count, pendingMessages: state.pendingMessages, gcRunID: state.gcRun?.runID,
            lastGC: state.lastGC)
    }
}
