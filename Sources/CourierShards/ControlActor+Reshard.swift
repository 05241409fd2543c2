import CourierCore

extension ControlActor {
    /// Appends a `shard-change` record to the control stream (resharding); returns its seq once durable
    /// and acknowledged. The active shard count follows `assigned` and `reshard-commit` records.
    public func appendShardChange(_ change: ShardChangeEvent) async throws -> UInt64 {
        try await append([.shardChange(change)]) { _ in }[0].seq
    }
}
