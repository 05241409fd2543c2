import Metrics

/// The event log's metrics (`/metrics`): commit (write + fsync) latency, events per group commit,
/// events appended. No-ops until `courier` bootstraps a metrics backend.
struct LogMetrics: Sendable {
    /// Time from transaction begin to the synced commit: what every appender in the batch waited on.
    let commitDuration = Metrics.Timer(label: "courier_log_commit_duration_seconds", preferredDisplayUnit: .seconds)
    /// Events per group commit.
    let batchEvents = Recorder(label: "courier_log_batch_events", aggregate: true)
    let appendedEvents = Counter(label: "courier_log_events_total")
    let failedCommits = Counter(label: "courier_log_commit_failures_total")
}
