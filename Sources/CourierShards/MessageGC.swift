import CourierCore
import CourierLog
import Dispatch
import Logging
import Metrics

/// Runs message GC on a node (operations.md §4, eventlog.md §7): one pass per shard, then the
/// covered sealed segments leave the live log. One run at a time: a request during a run joins it.
public actor MessageGC {
    public struct Configuration: Sendable {
        /// Key of this node in responses and callbacks.
        public var nodeKey: String
        /// `COURIER_GC_RETENTION_DAYS`.
        public var retentionDays: Int = 30
        /// Messages collected per `gc step` at most (the spec's bound is 10 000). Smaller steps hold the
        /// shard for less time: `courier-bench --gc 2000000` on a quiet machine gave send p99 during GC
        /// 13× the no-GC p99 with 1 000, 5–8× with 250, 2.8–4.2× with 100 (GC 2.8 s, 3.2–4.3 s, 6.8 s);
        /// 10 M messages with 100: 29.6 s, 5.6× (250: 17.3 s, 8.8×). Much of that came after the steps
        /// (copying emptied shard maps after the end-of-run snapshot, four snapshots at once, deleting
        /// the segments in one go), since fixed: with 100, 2 M on a quiet machine went from 3.8× to
        /// 2.6× (one run each), and for 10 M the p99 of sends during the snapshots went from 38 ms to
        /// 2.9 ms and during segment removal from 17 ms to 4.2 ms; the steps themselves still keep
        /// sends' p99 at about 2× (2.1 ms against 1.0 ms for 2 M).
        public var stepLimit: Int = 100

        public init(nodeKey: String) { self.nodeKey = nodeKey }
    }

    /// How a run ended, for the completion callback (webhooks.md §7), stats and metrics.
    public struct RunResult: Hashable, Sendable {
        public var runID: String
        /// `complete` or `failed`.
        public var status: String
        public var automatic: Bool
        public var messagesDeleted: UInt64
        /// Records that left the live log with the removed segments.
        public var eventsCompacted: Int
        public var bytesReclaimed: Int
        /// PostgreSQL rows deleted: events below the snapshot and collected `messages` rows (0 without PostgreSQL).
        public var databaseRowsDeleted: Int = 0
        public var durationMilliseconds: Int
        /// Why a failed run failed (never a payload).
        public var error: String?
    }

    private let shards: ShardDirectory
    /// The control stream: snapshotted at the end of every run, so segments with control records can go too.
    private let control: ControlActor?
    private let log: LMDBEventLog?
    private let configuration: Configuration
    private let logger: Logger
    /// Replicated seq per stream when PostgreSQL is configured: segments leave the log only once replicated.
    private let replicatedSeqs: (@Sendable () -> [UInt16: UInt64])?
    /// With PostgreSQL: stores the pass's snapshot and deletes the stream's rows up to it; returns rows deleted.
    /// Called for each shard's pass, then for the control stream (shard `Record.controlShard`, no messages).
    private let compactDatabase: (@Sendable (ShardActor.GCPassResult, SnapshotStore?) async throws -> Int)?
    private var onComplete: [@Sendable (RunResult) -> Void] = []
    private var current: Task<RunResult, Never>? = nil
    private var currentRunID: String? = nil
    private var nextRunNumber: Int? = nil
    public private(set) var runCounts: [String: Int] = [:]
    public private(set) var lastResult: RunResult? = nil
    public private(set) var messagesDeletedTotal: UInt64 = 0
    private let metrics = Metrics()

    struct Metrics {
        let running = Gauge(label: "message_gc_running")
        let courierRunning = Gauge(label: "courier_gc_running")
        let deleted = Counter(label: "courier_gc_messages_deleted_total")

        func runs(_ status: String) -> Counter { Counter(label: "message_gc_runs", dimensions: [("status", status)]) }
    }

    public init(
        shards: ShardDirectory, log: LMDBEventLog?, configuration: Configuration, logger: Logger,
        replicatedSeqs: (@Sendable () -> [UInt16: UInt64])? = nil,
        compactDatabase: (@Sendable (ShardActor.GCPassResult, SnapshotStore?) async throws -> Int)? = nil,
        control: ControlActor? = nil
    ) {
        self.compactDatabase = compactDatabase
        self.control = control
        self.shards = shards
        self.log = log
        self.configuration = configuration
        self.logger = logger
        self.replicatedSeqs = replicatedSeqs
        metrics.running.record(0)
        metrics.courierRunning.record(0)
    }

    /// Called once per finished run, API-started or automatic: the webhook outbox queues the
    /// completion callback from here (webhooks.md §7; automatic runs post none).
    public func addCompletionHandler(_ handler: @escaping @Sendable (RunResult) -> Void) {
        onComplete.append(handler)
    }

    public var isRunning: Bool { current != nil }
    public var runningID: String? { currentRunID }

    /// Starts a run, or joins the one in progress; returns its id at once.
    @discardableResult
    public func start(automatic: Bool = false) async -> String {
        if let currentRunID { return currentRunID }
        let runID = await allocateRunID()
        // Reentrancy: another request may have started a run while the ids were read.
        if let currentRunID { return currentRunID }
        currentRunID = runID
        metrics.running.record(1)
        metrics.courierRunning.record(1)
        logger.info("message gc started", metadata: ["gc.run": "\(runID)", "gc.automatic": "\(automatic)"])
        current = Task { await self.run(runID: runID, automatic: automatic) }
        return runID
    }

    /// Waits for the run in progress, if any, and returns how it ended.
    @discardableResult
    public func waitForCompletion() async -> RunResult? {
        guard let current else { return lastResult }
        return await current.value
    }

    private func allocateRunID() async -> String {
        if nextRunNumber == nil {
            var highest = 0
            for actor in shards.actors {
                let counters = await actor.counters
                for id in [counters.gcRunID, counters.lastGC?.runID].compactMap({ $0 }) {
                    highest = max(highest, Int(id.dropFirst(3)) ?? 0)
                }
            }
            nextRunNumber = max(nextRunNumber ?? 0, highest + 1)
        }
        let number = nextRunNumber!
        nextRunNumber = number + 1
        return "gc-" + String(number).leftPadded(to: 6)
    }

    /// One GC pass per shard, side by side; outcomes in shard order.
    private static func passes(
        _ actors: [ShardActor], runID: String, retention: Int64, stepLimit: Int
    ) async -> [(UInt16, Result<ShardActor.GCPassResult, any Error>)] {
        await withTaskGroup(of: (UInt16, Result<ShardActor.GCPassResult, any Error>).self) { group in
            for actor in actors {
                group.addTask {
                    do {
                        return (actor.shard, .success(try await actor.runGC(runID: runID, retentionMicroseconds: retention, stepLimit: stepLimit)))
                    } catch {
                        return (actor.shard, .failure(error))
                    }
                }
            }
            var outcomes: [(UInt16, Result<ShardActor.GCPassResult, any Error>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }
        }
    }

    private func run(runID: String, automatic: Bool) async -> RunResult {
        let started = ContinuousClock.now
        let retention = Int64(configuration.retentionDays) * 86_400 * 1_000_000
        var deleted: UInt64 = 0
        var failure: String? = nil
        var removed: [LMDBEventLog.RemovedSegment] = []
        // Shards are independent streams: their passes run side by side.
        let stepLimit = configuration.stepLimit
        // Inside the shard directory's gate: a shard count change is refused while the passes run.
        let outcomes = await shards.withMap(maintenance: true) { _, actors in await Self.passes(actors, runID: runID, retention: retention, stepLimit: stepLimit) }
        var passes: [ShardActor.GCPassResult] = []
        for (shard, outcome) in outcomes {
            switch outcome {
            case .success(let pass):
                deleted += pass.messagesDeleted
                passes.append(pass)
            case .failure(let error): failure = failure ?? "shard \(shard): \(error)"
            }
        }
        var rowsDeleted = 0
        if let compactDatabase {
            for pass in passes {
                do {
                    rowsDeleted += try await compactDatabase(pass, shards.actors[Int(pass.shard)].snapshotStore)
                } catch {
                    failure = failure ?? "PostgreSQL compaction of shard \(pass.shard): \(error)"
                }
            }
        }
        if failure == nil, let control {
            do {
                if let snapshot = try await control.writeSnapshotNow(), let compactDatabase {
                    // The control stream's rows up to its snapshot go the same way as a shard's (eventlog.md §7).
                    let pass = ShardActor.GCPassResult(
                        shard: Record.controlShard, runID: runID, messagesDeleted: 0, snapshotSeq: snapshot.coveredSeq)
                    do {
                        rowsDeleted += try await compactDatabase(pass, control.snapshotStore)
                    } catch {
                        failure = "PostgreSQL compaction of the control stream: \(error)"
                    }
                }
            } catch {
                failure = "control snapshot: \(error)"
            }
        }
        if failure == nil, let log {
            let replicated = replicatedSeqs?()
            let stores = snapshotStores()
            do {
                // Covered by the oldest kept snapshot, so replay can still fall back past a damaged newest one.
                let covered = try await Self.offPool {
                    var covered: [UInt16: UInt64] = [:]
                    for (shard, store) in stores { covered[shard] = store?.snapshots(shard: shard).last?.seq ?? 0 }
                    return covered
                }
                // Paced, at nice 10: a run frees many segments at once (60 for 10 M messages).
                removed = try await log.removeCoveredSegmentsInBackground(covered: covered, replicated: replicated, purge: true)
                try await recordRotations(removed)
            } catch {
                failure = "removing covered segments: \(error)"
            }
        }
        let result = RunResult(
            runID: runID, status: failure == nil ? "complete" : "failed", automatic: automatic, messagesDeleted: deleted,
            eventsCompacted: removed.filter { $0.fileBytes > 0 }.reduce(0) { $0 + $1.recordCount },
            bytesReclaimed: removed.reduce(0) { $0 + $1.fileBytes },
            databaseRowsDeleted: rowsDeleted, durationMilliseconds: Int((ContinuousClock.now - started) / .milliseconds(1)),
            error: failure)
        finish(result)
        return result
    }

    /// Rotation (eventlog.md §7): sealed segments covered by every stream's oldest kept snapshot (and
    /// replicated) leave the live log, gzipped into the archive. Skipped while a GC run goes on, which
    /// removes covered segments itself at its end. Returns the segments that moved.
    @discardableResult
    public func rotate() async throws -> [LMDBEventLog.RemovedSegment] {
        guard current == nil, let log else { return [] }
        let replicated = replicatedSeqs?()
        let stores = snapshotStores()
        let moved = try await Self.offPool {
            var covered: [UInt16: UInt64] = [:]
            for (shard, store) in stores { covered[shard] = store?.snapshots(shard: shard).last?.seq ?? 0 }
            return try log.removeCoveredSegments(covered: covered, replicated: replicated)
        }
        try await recordRotations(moved)
        return moved
    }

    /// Each stream's snapshot store, the control stream's included: coverage counts every stream's snapshots.
    private func snapshotStores() -> [(UInt16, SnapshotStore?)] {
        shards.actors.map { ($0.shard, $0.snapshotStore) } + (control.map { [(Record.controlShard, $0.snapshotStore)] } ?? [])
    }

    /// Each shard logs `rotation archived|removed` for the segments holding its records.
    private func recordRotations(_ removed: [LMDBEventLog.RemovedSegment]) async throws {
        for actor in shards.actors {
            let events = removed.compactMap { segment in
                segment.streams[actor.shard].map {
                    RotationEvent(segmentID: segment.id, action: segment.action, firstSeq: $0.firstSeq, lastSeq: $0.lastSeq)
                }
            }
            if !events.isEmpty { try await actor.recordRotation(events) }
        }
        if let control {
            let events = removed.compactMap { segment in
                segment.streams[Record.controlShard].map {
                    RotationEvent(segmentID: segment.id, action: segment.action, firstSeq: $0.firstSeq, lastSeq: $0.lastSeq)
                }
            }
            if !events.isEmpty { try await control.recordRotation(events) }
        }
    }

    private func finish(_ result: RunResult) {
        current = nil
        currentRunID = nil
        lastResult = result
        runCounts[result.status, default: 0] += 1
        messagesDeletedTotal += result.messagesDeleted
        metrics.running.record(0)
        metrics.courierRunning.record(0)
        metrics.runs(result.status).increment()
        metrics.deleted.increment(by: Int(result.messagesDeleted))
        var metadata: Logger.Metadata = [
            "gc.run": "\(result.runID)", "gc.status": "\(result.status)", "gc.deleted": "\(result.messagesDeleted)",
            "gc.events_compacted": "\(result.eventsCompacted)", "gc.bytes_reclaimed": "\(result.bytesReclaimed)",
            "gc.duration_ms": "\(result.durationMilliseconds)", "gc.db_rows_deleted": "\(result.databaseRowsDeleted)",
        ]
        if let error = result.error {
            metadata["error"] = "\(error)"
            logger.error("message gc failed", metadata: metadata)
        } else {
            logger.info("message gc complete", metadata: metadata)
        }
        for handler in onComplete { handler(result) }
    }

    /// Runs blocking file work on a dispatch queue, never the cooperative pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(with: Result { try body() }) }
        }
    }
}
