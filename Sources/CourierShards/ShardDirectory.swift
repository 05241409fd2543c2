import CourierCore
import CourierLog
import Logging
import Synchronization

/// The shards a node owns, found by recipient: `shard(wa_id) = fnv1a64(wa_id) mod shardCount`.
///
/// The map can change (resharding, `ShardDirectory+Reshard.swift`): callers that change state enter through
/// `withShard`/`withMap`, a gate that a cutover closes; entrants then wait (they are held, not failed) and
/// continue with the new map once it opens again.
public final class ShardDirectory: Sendable {
    struct Gate {
        var shardCount: Int
        var actors: [ShardActor]
        /// Every actor made so far by shard number, including shards a merge retired (reused by a later split).
        var made: [UInt16: ShardActor]
        var closed = false
        var inFlight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var resharding = false
        /// Long holders (message GC passes) in flight: a shard count change is refused while there are any.
        var maintenance = 0
        /// Gets the outbox entries a reshard moved, under their old shard and seq, once the change is committed.
        var onOutboxMoved: (@Sendable ([OutboxEntry]) -> Void)? = nil
    }

    let gate: Mutex<Gate>
    let log: any EventLog
    let epoch: UInt64
    let configuration: ShardActor.Configuration
    let logger: Logger
    let onDispatch: @Sendable (_ messageID: String, _ to: String) -> Void

    public init(
        shardCount: Int, log: any EventLog, epoch: UInt64, configuration: ShardActor.Configuration = .init(),
        logger: Logger, onDispatch: @escaping @Sendable (_ messageID: String, _ to: String) -> Void = { _, _ in }
    ) {
        precondition(ShardCount.allowed.contains(shardCount), "shard count \(shardCount) is not allowed")
        self.log = log
        self.epoch = epoch
        let owner = OwnerLink()
        var configuration = configuration
        configuration.recordStatusOnOwner = { status in try await owner.recordStatus(status) }
        self.owner = owner
        self.configuration = configuration
        self.logger = logger
        self.onDispatch = onDispatch
        let actors = (0..<shardCount).map { shard in
            Self.makeActor(UInt16(shard), log: log, epoch: epoch, configuration: configuration, logger: logger, onDispatch: onDispatch)
        }
        gate = Mutex(Gate(shardCount: shardCount, actors: actors, made: Dictionary(uniqueKeysWithValues: actors.map { ($0.shard, $0) })))
        owner.attach(self)
    }

    /// The actors' way back to this directory (weak: the directory owns the actors).
    let owner: OwnerLink

    final class OwnerLink: Sendable {
        private struct Link: @unchecked Sendable {
            // @unchecked: only read and written under the mutex.
            weak var directory: ShardDirectory?
        }
        private let link = Mutex(Link())

        func attach(_ directory: ShardDirectory) { link.withLock { $0.directory = directory } }

        /// Records `status` on the shard that owns its recipient now, through the gate like any command.
        func recordStatus(_ status: StatusEvent) async throws {
            guard let directory = link.withLock({ $0.directory }) else {
                throw ShardError(.stopped, "the shard directory is gone")
            }
            try await directory.withShard(for: status.waID) { try await $0.recordStatus(status) }
        }
    }

    static func makeActor(
        _ shard: UInt16, log: any EventLog, epoch: UInt64, configuration: ShardActor.Configuration, logger: Logger,
        onDispatch: @escaping @Sendable (_ messageID: String, _ to: String) -> Void
    ) -> ShardActor {
        var shardLogger = logger
        shardLogger[metadataKey: "shard.id"] = "\(shard)"
        return ShardActor(
            shard: shard, log: log, epoch: epoch, configuration: configuration, logger: shardLogger, onDispatch: onDispatch)
    }

    /// Where the outbox entries a reshard moved are reported (the webhook dispatcher forgets their old identities).
    public func onOutboxMoved(_ handler: @escaping @Sendable ([OutboxEntry]) -> Void) {
        gate.withLock { $0.onOutboxMoved = handler }
    }

    /// The active shard count.
    public var shardCount: Int { gate.withLock { $0.shardCount } }

    /// The active shards' actors, by shard number.
    public var actors: [ShardActor] { gate.withLock { $0.actors } }

    /// The owner of `waID` under the active map, without entering the gate (reads and routing decisions).
    public func actor(for waID: String) -> ShardActor {
        gate.withLock { $0.actors[Int(ShardHash.shard(of: waID, shardCount: $0.shardCount))] }
    }

    /// Runs `body` with the active map, holding off a cutover until it returns; during a cutover it waits
    /// for the new map. Use it for everything that changes a shard's state. `maintenance`: a long holder
    /// (message GC) during which a shard count change is refused rather than waited for.
    public func withMap<T: Sendable>(
        maintenance: Bool = false, _ body: (_ shardCount: Int, _ actors: [ShardActor]) async throws -> T
    ) async rethrows -> T {
        let (count, actors) = await enter(maintenance: maintenance)
        defer { leave(maintenance: maintenance) }
        return try await body(count, actors)
    }

    /// Runs `body` on the owner of `waID` (see `withMap`).
    public func withShard<T: Sendable>(for waID: String, _ body: (ShardActor) async throws -> T) async rethrows -> T {
        try await withMap { count, actors in try await body(actors[Int(ShardHash.shard(of: waID, shardCount: count))]) }
    }

    /// Runs `body` on shard `shard` if it is active (see `withMap`); nil when it is not (a merge retired it).
    public func withShard<T: Sendable>(number shard: UInt16, _ body: (ShardActor) async throws -> T) async rethrows -> T? {
        try await withMap { count, actors in Int(shard) < count ? try await body(actors[Int(shard)]) : nil }
    }

    private func enter(maintenance: Bool) async -> (Int, [ShardActor]) {
        while true {
            let entered = gate.withLock { gate -> (Int, [ShardActor])? in
                guard !gate.closed else { return nil }
                gate.inFlight += 1
                if maintenance { gate.maintenance += 1 }
                return (gate.shardCount, gate.actors)
            }
            if let entered { return entered }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = gate.withLock { gate -> Bool in
                    guard gate.closed else { return true }
                    gate.waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    private func leave(maintenance: Bool) {
        gate.withLock {
            $0.inFlight -= 1
            if maintenance { $0.maintenance -= 1 }
        }
    }

    /// Replays every shard from the log; returns the number of records applied.
    public func replayAll() async throws -> Int {
        var total = 0
        for actor in actors { total += try await actor.replay() }
        return total
    }
}
