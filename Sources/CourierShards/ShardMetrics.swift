import Metrics

/// A shard actor's metrics (`/metrics`), with a `shard` dimension.
struct ShardMetrics: Sendable {
    let sends: Counter
    let rejected: Counter
    /// Appends awaiting durability on this shard (`COURIER_SHARD_QUEUE_LIMIT` bounds it).
    let queueDepth: Gauge

    init(shard: UInt16) {
        let dimensions = [("shard", String(shard))]
        sends = Counter(label: "courier_messages_sent_total", dimensions: dimensions)
        rejected = Counter(label: "courier_messages_rejected_total", dimensions: dimensions)
        queueDepth = Gauge(label: "courier_shard_queue_depth", dimensions: dimensions)
    }
}
