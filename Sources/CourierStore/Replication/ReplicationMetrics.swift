import Metrics

/// Replication metrics (eventlog.md §6 "Lag"): per-stream lag in events and seconds, records shipped.
struct ReplicationMetrics: Sendable {
    let shipped = Counter(label: "courier_replication_records_total")
    let batches = Counter(label: "courier_replication_batches_total")
    let connected = Gauge(label: "courier_replication_connected")
    /// `courier_pg_connections{purpose}` (api.md §12.2): the replicator's one connection.
    let connections = Gauge(label: "courier_pg_connections", dimensions: [("purpose", "replication")])
    /// Records folded into the `messages` projection, and how many replicated ones still wait for it.
    let projected = Counter(label: "courier_projection_records_total")
    let projectionLag = Gauge(label: "courier_projection_lag_events")

    func lag(shard: UInt16, events: UInt64, seconds: Double) {
        let dimensions = [("shard", shard == 0xFFFF ? "control" : String(shard))]
        Gauge(label: "courier_replication_lag_events", dimensions: dimensions).record(Double(events))
        Gauge(label: "courier_replication_lag_seconds", dimensions: dimensions).record(seconds)
    }
}
