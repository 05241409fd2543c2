import CourierCore

/// What the replicator knows, for `/metrics`, `courier log stats` and the ack waiters.
public struct ReplicationStatus: Hashable, Sendable {
    public struct Stream: Hashable, Sendable {
        public var shard: UInt16
        public var replicatedSeq: UInt64
        public var lastSeq: UInt64
        /// now − timestamp of the oldest unreplicated record; 0 when caught up.
        public var lagSeconds: Double
        public var lagEvents: UInt64 { lastSeq > replicatedSeq ? lastSeq - replicatedSeq : 0 }
        /// Replication of this stream stopped: a divergent record, or fenced by a newer epoch.
        public var stoppedReason: String?
    }

    public var connected = false
    public var streams: [UInt16: Stream] = [:]
    public var lastError: String?
    public var shippedRecords: UInt64 = 0
    public var shippedBatches: UInt64 = 0
    /// Replicated records not yet folded into the `messages` projection (all streams).
    public var projectionLag: UInt64 = 0
}
