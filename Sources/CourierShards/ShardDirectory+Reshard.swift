import CourierCore
import CourierLog
import Logging
import Metrics

/// Why a shard count change did not happen (api.md §4.4: 403, 1011; retrying later should work).
public struct ReshardError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A `reshard-begin` on the control stream with no `reshard-commit` or `reshard-abort` after it: a restart
/// completes it (`ShardDirectory.completeReshard`).
public struct OpenReshard: Hashable, Sendable {
    /// The begin record's control seq, which every record of this reshard carries.
    public var id: UInt64
    public var from: Int
    public var to: Int
    /// Each source shard's applied seq when the cutover began: its out-record, if any, comes later.
    public var sourceSeqs: [UInt64]

    public init(id: UInt64, from: Int, to: Int, sourceSeqs: [UInt64]) {
        self.id = id
        self.from = from
        self.to = to
        self.sourceSeqs = sourceSeqs
    }

    /// The open reshard a `reshard-begin` record at `seq` describes, nil for another record.
    public init?(_ change: ShardChangeEvent, seq: UInt64) {
        guard change.action == .reshardBegin, ShardCount.allowed.contains(change.shardCount),
            ShardCount.allowed.contains(change.fromShardCount), var reader = try? PayloadReader(change.transfer),
            let count = try? reader.readInt()
        else { return nil }
        var seqs: [UInt64] = []
        for _ in 0..<count {
            guard let seq = try? reader.readUInt64() else { return nil }
            seqs.append(seq)
        }
        self.init(id: seq, from: change.fromShardCount, to: change.shardCount, sourceSeqs: seqs)
    }

    public static func beginEvent(from: Int, to: Int, sourceSeqs: [UInt64], nodeKey: String, epoch: UInt64) -> ShardChangeEvent {
        var event = ShardChangeEvent(action: .reshardBegin, shardCount: to, shard: 0, ownerNodeKey: nodeKey, epoch: epoch)
        event.fromShardCount = from
        var writer = PayloadWriter(version: 1)
        writer.write(UInt64(sourceSeqs.count))
        for seq in sourceSeqs { writer.write(seq) }
        event.transfer = writer.bytes
        return event
    }
}

/// Single-node online resharding (cluster.md §8, "from the local log in single-node mode").
///
/// Procedure for n → m: close the gate (new commands are held) and wait for commands in flight and appends
/// to finish; control `reshard-begin` (with each source's seq); for every (source, target) pair the target
/// logs the moved state as `split-in`/`merge-in` records; then every source logs `split-out`/`merge-out`,
/// dropping what moved; control `reshard-commit`; swap the map; open the gate. The pause is
/// `courier_reshard_pause_seconds`.
///
/// Crash safety: all in-records are durable before the first out-record, and a repeated transfer replaces
/// what the first one left, so a restart with an open begin re-runs the transfers of the sources without
/// an out-record and commits (roll-forward). A failure before the first out-record logs `reshard-abort`
/// on the targets (dropping the copies) and on the control stream, and keeps the old map.
extension ShardDirectory {
    static let pauseTimer = Metrics.Timer(label: "courier_reshard_pause_seconds", preferredDisplayUnit: .seconds)

    /// Changes the shard count to `newCount`; returns the pause, nil when it already was `newCount`.
    /// `budget`: the whole cutover; over it, the change is rolled back (api.md §4.4).
    /// `onAbort`: the out-of-band error hook (webhooks.md §6, 1014), called when a reshard is rolled back.
    public func reshard(
        to newCount: Int, control: ControlActor, nodeKey: String, budget: Duration = .seconds(10),
        onAbort: (@Sendable (_ reason: String) async -> Void)? = nil
    ) async throws -> Duration? {
        precondition(ShardCount.allowed.contains(newCount), "shard count \(newCount) is not allowed")
        let claimed = try gate.withLock { gate -> Int? in
            guard !gate.resharding else { throw ReshardError("another shard count change is in progress") }
            guard gate.shardCount != newCount else { return nil }
            guard gate.maintenance == 0 else { throw ReshardError("message GC is running; change the shard count after it ends") }
            gate.resharding = true
            gate.closed = true
            return gate.shardCount
        }
        guard let oldCount = claimed else { return nil }
        let started = ContinuousClock.now
        let deadline = started + budget
        var outcome = "aborted"
        var phases: [String] = []
        var phaseStarted = started
        func phase(_ name: String) {
            let now = ContinuousClock.now
            phases.append("\(name) \(now - phaseStarted)")
            phaseStarted = now
        }
        defer {
            let pause = ContinuousClock.now - started
            Self.pauseTimer.recordNanoseconds(pause.nanoseconds)
            logger.info(
                "shard count change \(outcome)",
                metadata: [
                    "shard.count.from": "\(oldCount)", "shard.count.to": "\(newCount)", "reshard.pause": "\(pause)",
                    "reshard.phases": "\(phases.joined(separator: ", "))",
                ])
        }
        // 1. Hold: wait for commands already routed by the old map, then for the sources' appends.
        while gate.withLock({ $0.inFlight }) > 0 {
            guard ContinuousClock.now < deadline else {
                reopen(count: nil)
                await onAbort?("the shard count change did not finish within \(budget): commands in flight")
                throw ReshardError("the shard count change did not finish within \(budget); the shard count is unchanged")
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
        let sources = actors
        for actor in sources {
            await actor.quiesce()
            if await actor.gcRunning {
                reopen(count: nil)
                throw ReshardError("message GC is running on shard \(actor.shard); change the shard count after it ends")
            }
        }
        var sourceSeqs: [UInt64] = []
        for actor in sources { sourceSeqs.append(await actor.appliedSeq) }
        phase("drain")
        // 2. Begin, transfers, out-records, commit.
        let reshardID: UInt64
        do {
            reshardID = try await control.appendShardChange(
                OpenReshard.beginEvent(from: oldCount, to: newCount, sourceSeqs: sourceSeqs, nodeKey: nodeKey, epoch: epoch))
        } catch {
            reopen(count: nil)
            await onAbort?("the shard count change could not begin: \(error)")
            throw ReshardError("the shard count change could not begin: \(error)")
        }
        let open = OpenReshard(id: reshardID, from: oldCount, to: newCount, sourceSeqs: sourceSeqs)
        let moved: [OutboxEntry]
        do {
            moved = try await transferAll(open, nodeKey: nodeKey, skipping: [])
            phase("transfers")
            guard ContinuousClock.now < deadline else { throw ReshardError("the cutover did not finish within \(budget)") }
        } catch {
            await rollBack(open, control: control, nodeKey: nodeKey)
            reopen(count: nil)
            await onAbort?("shard count change \(oldCount) → \(newCount) rolled back: \(error)")
            throw ReshardError("the shard count change was rolled back (\(error)); the shard count is unchanged")
        }
        // 3. Past the first out-record the change only goes forward (a restart completes it).
        do {
            try await finish(open, control: control, nodeKey: nodeKey, skipping: [])
            phase("out-records and commit")
        } catch {
            // Every target has its state: serve the new map now; the next start logs what is missing.
            reopen(count: newCount)
            outcome = "left to finish at the next start"
            throw ReshardError("the shard count change could not be committed (\(error)); it completes at the next start")
        }
        gate.withLock { $0.onOutboxMoved }?(moved)
        reopen(count: newCount)
        outcome = "committed"
        return ContinuousClock.now - started
    }

    /// Completes a reshard a crash left open (before the map is used): re-runs the transfers of sources
    /// with no out-record, logs the missing out-records and the commit, and switches to the new map.
    public func completeReshard(_ open: OpenReshard, control: ControlActor, nodeKey: String) async throws {
        precondition(shardCount == open.from, "an open reshard \(open.from) → \(open.to) with \(shardCount) shards active")
        let plan = ReshardPlan(from: open.from, to: open.to)
        var done: Set<UInt16> = []
        for source in plan.sources {
            let seq = open.sourceSeqs.indices.contains(Int(source)) ? open.sourceSeqs[Int(source)] : 0
            if try await actors[Int(source)].hasOutRecord(reshardID: open.id, after: seq) { done.insert(source) }
        }
        gate.withLock { $0.closed = true }
        defer { reopen(count: open.to) }
        // Every shard of the new map, replayed (a target whose transfer is done has no transfer to make it).
        for shard in 0..<UInt16(open.to) { _ = try await madeActor(shard) }
        _ = try await transferAll(open, nodeKey: nodeKey, skipping: done)
        try await finish(open, control: control, nodeKey: nodeKey, skipping: done)
        logger.info(
            "open shard count change completed",
            metadata: ["shard.count.from": "\(open.from)", "shard.count.to": "\(open.to)", "reshard.id": "\(open.id)"])
    }

    /// The in-records of every (source, target) pair, sources in `skipping` left out; returns the outbox
    /// entries moved, under their source identities. Pairs run side by side (up to 8): their records go to
    /// different streams or, for one target, keep each source's order, and a source's records only clear
    /// that source's copies.
    private func transferAll(_ open: OpenReshard, nodeKey: String, skipping: Set<UInt16>) async throws -> [OutboxEntry] {
        let plan = ReshardPlan(from: open.from, to: open.to)
        let pairs = plan.transfers.filter { !skipping.contains($0.source) }
        // Made first, one at a time (a new actor replays its stream once).
        for pair in pairs {
            _ = try await madeActor(pair.source)
            _ = try await madeActor(pair.target)
        }
        return try await withThrowingTaskGroup(of: [OutboxEntry].self) { group in
            var moved: [OutboxEntry] = []
            for (index, pair) in pairs.enumerated() {
                if index >= 8, let done = try await group.next() { moved += done }
                group.addTask {
                    try await self.transfer(from: pair.source, to: pair.target, open: open, plan: plan, nodeKey: nodeKey)
                }
            }
            for try await done in group { moved += done }
            return moved
        }
    }

    /// One pair: the source's moving state, logged by the target.
    private func transfer(from source: UInt16, to target: UInt16, open: OpenReshard, plan: ReshardPlan, nodeKey: String) async throws
        -> [OutboxEntry]
    {
        let sourceActor = try await madeActor(source)
        let targetActor = try await madeActor(target)
        let (transfers, seq) = await sourceActor.transfers(to: target, plan: plan)
        let events = ShardState.inEvents(
            transfers, from: source, sourceSeq: seq, to: target, plan: plan, reshardID: open.id, ownerNodeKey: nodeKey, epoch: epoch)
        try await targetActor.appendShardChanges(events)
        return transfers.flatMap(\.outbox)
    }

    /// The sources' out-records (those in `skipping` have theirs), then the control commit.
    private func finish(_ open: OpenReshard, control: ControlActor, nodeKey: String, skipping: Set<UInt16>) async throws {
        let plan = ReshardPlan(from: open.from, to: open.to)
        for source in plan.sources where !skipping.contains(source) {
            let sourceActor = try await madeActor(source)
            var out = ShardChangeEvent(
                action: plan.isSplit ? .splitOut : .mergeOut, shardCount: open.to, shard: source, ownerNodeKey: nodeKey,
                epoch: epoch, boundarySeq: await sourceActor.appliedSeq + 1)
            out.reshardID = open.id
            out.fromShardCount = open.from
            try await sourceActor.appendShardChanges([out])
        }
        var commit = ShardChangeEvent(action: .reshardCommit, shardCount: open.to, shard: 0, ownerNodeKey: nodeKey, epoch: epoch)
        commit.reshardID = open.id
        commit.fromShardCount = open.from
        _ = try await control.appendShardChange(commit)
    }

    /// Before any out-record: the targets drop the copies they took, and the control stream logs the abort.
    /// Best effort: a failure here leaves the begin open, and the next start rolls it forward instead.
    private func rollBack(_ open: OpenReshard, control: ControlActor, nodeKey: String) async {
        let plan = ReshardPlan(from: open.from, to: open.to)
        do {
            for target in Set(plan.transfers.map(\.target)).sorted() {
                var abort = ShardChangeEvent(action: .reshardAbort, shardCount: open.from, shard: target, ownerNodeKey: nodeKey, epoch: epoch)
                abort.reshardID = open.id
                abort.fromShardCount = open.to
                try await madeActor(target).appendShardChanges([abort])
            }
            var abort = ShardChangeEvent(action: .reshardAbort, shardCount: open.from, shard: 0, ownerNodeKey: nodeKey, epoch: epoch)
            abort.reshardID = open.id
            abort.fromShardCount = open.to
            _ = try await control.appendShardChange(abort)
        } catch {
            logger.error("shard count change rollback not logged", metadata: ["reshard.id": "\(open.id)", "error": "\(error)"])
        }
    }

    /// The actor of `shard`, made and replayed from the log the first time (a new or retired shard).
    func madeActor(_ shard: UInt16) async throws -> ShardActor {
        if let actor = gate.withLock({ $0.made[shard] }) { return actor }
        let actor = Self.makeActor(shard, log: log, epoch: epoch, configuration: configuration, logger: logger, onDispatch: onDispatch)
        gate.withLock { $0.made[shard] = actor }
        _ = try await actor.replay()
        return actor
    }

    /// Opens the gate, with `count` shards when given, and releases the held commands.
    private func reopen(count: Int?) {
        let waiters = gate.withLock { gate -> [CheckedContinuation<Void, Never>] in
            if let count {
                gate.shardCount = count
                gate.actors = (0..<UInt16(count)).map { gate.made[$0]! }
            }
            gate.closed = false
            gate.resharding = false
            defer { gate.waiters = [] }
            return gate.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
