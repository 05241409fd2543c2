import CourierCore
import CourierLog

/// Control-stream snapshots (eventlog.md §7): the folded `ControlState` written to the snapshot store under
/// the stream `control`, every `snapshotEveryEvents` records or `snapshotEveryInterval` of activity and at
/// the end of every GC run, each followed by a `snapshot` record. They let segments holding control
/// records leave the live log; replay starts from the newest valid one.
extension ControlActor {
    /// Where control snapshots go.
    public nonisolated var snapshotStore: SnapshotStore? { configuration.snapshots }

    /// Loads the newest valid control snapshot, falling back to older ones when damaged.
    func restoreNewestSnapshot() {
        guard let store = configuration.snapshots else { return }
        for file in store.snapshots(shard: Record.controlShard) {
            do {
                let (header, payload) = try store.load(file)
                let restored = try ControlState(snapshot: payload)
                guard restored.appliedSeq == header.seq else { continue }
                state = restored
                snapshotSeq = header.seq
                snapshotTime = restored.lastTimestamp
                return
            } catch {
                logger.warning(
                    "control snapshot unusable; trying an older one",
                    metadata: ["log.snapshot": "\(file.path)", "error": "\(error)"])
            }
        }
    }

    /// Starts a periodic snapshot when enough records or enough time (record time, from the log's
    /// clock) passed since the last one. A `snapshot` record alone never makes one due.
    func snapshotIfDue() {
        guard let store = configuration.snapshots, !snapshotInFlight, !lastAppliedIsSnapshot,
            state.appliedSeq > snapshotSeq, state.openReshard == nil  // a reshard's begin stays in the log until it ends
        else { return }
        if snapshotTime == .zero { snapshotTime = state.lastTimestamp }
        let byCount = state.appliedSeq >= snapshotSeq + configuration.snapshotEveryEvents
        let byTime = state.lastTimestamp >= snapshotTime.advanced(by: configuration.snapshotEveryInterval)
        guard byCount || byTime else { return }
        snapshotInFlight = true
        Task { [self] in
            do {
                _ = try await writeSnapshot(store: store)
            } catch {
                logger.error("control snapshot failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Writes a control snapshot of the state now and logs its `snapshot` record (end of a GC run).
    /// Returns the record's payload.
    @discardableResult
    public func writeSnapshotNow() async throws -> SnapshotEvent? {
        guard let store = configuration.snapshots else { return nil }
        while snapshotInFlight { await Task.yield() }
        snapshotInFlight = true
        return try await writeSnapshot(store: store)
    }

    /// Logs `rotation` records for segments that left the live log and held control records.
    public func recordRotation(_ events: [RotationEvent]) async throws {
        guard !events.isEmpty else { return }
        try await append(events.map { .rotation($0) }) { _ in }
    }

    /// Waits until no control snapshot write is in flight (tests, shutdown).
    public func waitForSnapshots() async {
        while snapshotInFlight { await Task.yield() }
    }

    /// The seq the newest control snapshot covers (written or loaded).
    public var snapshotCoveredSeq: UInt64 { snapshotSeq }

    /// Encodes a copy of the state and writes it on a dispatch queue (file work stays off the cooperative
    /// pool), then appends the `snapshot` record. The caller set `snapshotInFlight`.
    private func writeSnapshot(store: SnapshotStore) async throws -> SnapshotEvent {
        let state = self.state
        let result: Result<SnapshotEvent, any Error>
        do {
            result = .success(
                try await store.writeInBackground(
                    stream: Record.controlShard, name: "control", seq: state.appliedSeq, epoch: state.epoch,
                    timestamp: state.lastTimestamp, formatVersion: ControlState.snapshotFormatVersion, encode: { state.snapshotPayload() }))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let event):
            snapshotSeq = max(snapshotSeq, event.coveredSeq)
            snapshotTime = state.lastTimestamp
            defer { snapshotInFlight = false }
            try await append([.snapshot(event)]) { _ in }
            return event
        case .failure(let error):
            snapshotInFlight = false
            throw ShardError(.storage, "control snapshot failed: \(error)")
        }
    }
}
