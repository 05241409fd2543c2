import CourierCore
import CourierLog
import Logging

/// The shards a node owns, found by recipient: `shard(wa_id) = fnv1a64(wa_id) mod shardCount`.
public final class ShardDirectory: Sendable {
    public let shardCount: Int
    public let actors: [ShardActor]

    public init(
        shardCount: Int, log: any EventLog, epoch: UInt64, configuration: ShardActor.Configuration = .init(),
        logger: Logger, onDispatch: @escaping @Sendable (_ messageID: String, _ to: String) -> Void = { _, _ in }
    ) {
        precondition(ShardCount.allowed.contains(shardCount), "shard count \(shardCount) is not allowed")
        self.shardCount = shardCount
        actors = (0..<shardCount).map { shard in
            var shardLogger = logger
            shardLogger[metadataKey: "shard.id"] = "\(shard)"
            return ShardActor(
                shard: UInt16(shard), log: log, epoch: epoch, configuration: configuration, logger: shardLogger,
                onDispatch: onDispatch)
        }
    }

    public func actor(for waID: String) -> ShardActor {
        actors[Int(ShardHash.shard(of: waID, shardCount: shardCount))]
    }

    /// Replays every shard from the log; returns the number of records applied.
    public func replayAll() async throws -> Int {
        var total = 0
        for actor in actors { total += try await actor.replay() }
        return total
    }
}
