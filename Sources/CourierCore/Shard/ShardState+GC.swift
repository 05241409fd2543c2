/// A GC run in progress on one stream (eventlog.md §7). Set by `gc begin`, advanced by `gc step`,
/// cleared by `gc end`; part of snapshots, so a pass interrupted by a crash resumes where it stopped.
public struct GCRunState: Sendable {
    public var runID: String
    /// The `begin` record's timestamp: messages are judged as of this instant.
    public var cutoff: Timestamp
    public var retentionMicroseconds: Int64
    public var stepLimit: Int
    /// Position in `creationOrder` of the next message to examine.
    var scanIndex: Int
    /// `creationOrder.count` at `begin`: messages created later belong to the next run.
    var endIndex: Int
    public var messagesDeleted: UInt64
    public var steps: Int

    /// Messages of this run still to examine.
    public var remaining: Int { endIndex - scanIndex }
}

extension GCRunState: Hashable {
    // Positions are left out: a state restored from a snapshot has no holes in `creationOrder`, so
    // the same run sits at other indices over the same remaining messages.
    public static func == (lhs: GCRunState, rhs: GCRunState) -> Bool {
        lhs.runID == rhs.runID && lhs.cutoff == rhs.cutoff && lhs.retentionMicroseconds == rhs.retentionMicroseconds
            && lhs.stepLimit == rhs.stepLimit && lhs.messagesDeleted == rhs.messagesDeleted && lhs.steps == rhs.steps
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(runID)
        hasher.combine(messagesDeleted)
    }
}

/// How the last GC run on a stream ended (`courier log stats`, `/v1/stats/app`).
public struct GCRunSummary: Hashable, Sendable {
    public var runID: String
    public var outcome: String
    public var messagesDeleted: UInt64
    public var startedAt: Timestamp
    public var endedAt: Timestamp
    public var snapshotSeq: UInt64
}

/// The GC eligibility rule (operations.md §4), a pure function of a message and the run's inputs.
public struct GCRule: Hashable, Sendable {
    public var cutoff: Timestamp
    public var retentionMicroseconds: Int64

    public init(cutoff: Timestamp, retentionMicroseconds: Int64) {
        self.cutoff = cutoff
        self.retentionMicroseconds = retentionMicroseconds
    }

    /// An outbound message goes once it is `read` or `failed`, or once its last status (at least
    /// `sent`) is older than the retention. A send still owed to the network never goes.
    /// Inbound messages (marked read, or received before the retention) get their own rule here
    /// when the shard state holds them.
    public func collects(_ message: OutboundMessage) -> Bool {
        switch message.status {
        case .read, .failed: return true
        case .accepted: return false
        case .sent, .delivered, .deleted:
            return message.statusAt.microseconds < cutoff.microseconds &- retentionMicroseconds
        }
    }
}

/// What the GC pass does next on a stream, decided by the state.
public enum GCNext: Hashable, Sendable {
    /// No run in progress: log this `begin`.
    case begin(GCEvent)
    /// Log this `step`: it collects up to `stepLimit` messages when applied.
    case step(GCEvent)
    /// Every message of the run has been examined: snapshot, then log `end`.
    case finish(runID: String)
}

extension ShardState {
    /// Messages examined by one step at most, collected or not, so a step stays short even when few
    /// messages are eligible. Part of the rule: replay examines exactly the same.
    public static let gcExaminedPerStep = 100_000

    /// Decides the next record of a GC pass. A run left open by a crash is resumed, with its own inputs.
    public func gcNext(runID: String, retentionMicroseconds: Int64, stepLimit: Int = 10_000) -> GCNext {
        guard let run = gcRun else {
            return .begin(GCEvent(phase: .begin, runID: runID, retentionMicroseconds: retentionMicroseconds, stepLimit: stepLimit))
        }
        guard run.remaining > 0 else { return .finish(runID: run.runID) }
        return .step(
            GCEvent(
                phase: .step, runID: run.runID, cutoff: run.cutoff, retentionMicroseconds: run.retentionMicroseconds,
                stepLimit: run.stepLimit))
    }

    /// The `end` record of the current run, once its snapshot at `snapshotSeq` is written.
    public func gcEnd(snapshotSeq: UInt64, outcome: String = "complete") -> GCEvent? {
        guard let run = gcRun else { return nil }
        return GCEvent(
            phase: .end, runID: run.runID, cutoff: run.cutoff, retentionMicroseconds: run.retentionMicroseconds,
            stepLimit: run.stepLimit, messagesDeleted: run.messagesDeleted, snapshotSeq: snapshotSeq, outcome: outcome)
    }

    /// Folds a `gc` record. Steps and ends of another run than the current one fold to nothing.
    mutating func applyGC(_ event: GCEvent, at record: Record) -> [ShardEffect] {
        var effects: [ShardEffect] = []
        switch event.phase {
        case .result:
            // The node's run ended: its service-result callback is owed (webhooks.md §7).
            effects.append(
                addOutboxEntry(
                    OutboxEntry(shard: shard, seq: record.seq, waID: "", item: .service(event.document), createdAt: record.timestamp)))
        case .begin:
            // A begin while a run is open (its pass was interrupted and abandoned) replaces it.
            gcRun = GCRunState(
                runID: event.runID, cutoff: record.timestamp, retentionMicroseconds: event.retentionMicroseconds,
                stepLimit: event.stepLimit, scanIndex: 0, endIndex: creationOrder.count, messagesDeleted: 0, steps: 0)
        case .step:
            guard var run = gcRun, run.runID == event.runID else { return effects }
            let rule = GCRule(cutoff: event.cutoff, retentionMicroseconds: event.retentionMicroseconds)
            var collected = 0
            var examined = 0
            while run.scanIndex < run.endIndex, collected < event.stepLimit, examined < Self.gcExaminedPerStep {
                let position = run.scanIndex
                let id = creationOrder[position]
                run.scanIndex += 1
                examined += 1
                guard let message = messages.removeValue(forKey: id, where: rule.collects) else { continue }
                forgetCollected(id, message)
                creationOrder[position] = ""  // a hole (ids are never empty), closed when the run ends
                collected += 1
            }
            run.messagesDeleted += UInt64(collected)
            run.steps += 1
            gcRun = run
        case .end:
            guard let run = gcRun, run.runID == event.runID else { return effects }
            lastGC = GCRunSummary(
                runID: run.runID, outcome: event.outcome, messagesDeleted: run.messagesDeleted,
                startedAt: run.cutoff, endedAt: record.timestamp, snapshotSeq: event.snapshotSeq)
            gcRun = nil
            // Close the holes the run left; no run refers to positions any more.
            creationOrder.removeAll { $0.isEmpty }
        }
        return effects
    }

    /// What else refers to a message just removed from `messages` by a step.
    private mutating func forgetCollected(_ id: String, _ message: OutboundMessage) {
        if let key = message.idempotencyKey, idempotency[key] == id { idempotency[key] = nil }
        if message.status == .accepted { pendingMessages -= 1 }
    }
}
