import CourierCore
import Metrics

/// The event log's metrics (`/metrics`, api.md §12.2): sync latency, events per group commit, appends per
/// kind. No-ops until `courier` bootstraps a metrics backend.
struct LogMetrics: Sendable {
    /// Time from transaction begin to the synced commit (or the explicit sync that made it durable): what
    /// every appender in the batch waited on.
    let commitDuration = Metrics.Timer(label: "courier_log_fsync_seconds", preferredDisplayUnit: .seconds)
    /// Events per group commit.
    let batchEvents = Recorder(label: "courier_log_group_commit_events", aggregate: true)
    let failedCommits = Counter(label: "courier_log_commit_failures_total")
    /// `courier_log_appends_total{kind}`, one handle per kind code (index = code; 0 and codes this build
    /// does not know count as `unknown`).
    private let appends: [Counter]

    init() {
        let maximum = Int(EventKind.allCases.map(\.rawValue).max() ?? 0)
        var appends: [Counter] = []
        let unknown = Counter(label: "courier_log_appends_total", dimensions: [("kind", "unknown")])
        for code in 0...maximum {
            if let kind = EventKind(rawValue: UInt16(code)) {
                appends.append(Counter(label: "courier_log_appends_total", dimensions: [("kind", kind.name)]))
            } else {
                appends.append(unknown)
            }
        }
        self.appends = appends
    }

    /// Counts a committed batch's records by kind.
    func recordAppends(_ records: [Record]) {
        var counts = [Int](repeating: 0, count: appends.count + 1)
        for record in records { counts[min(Int(record.kindCode), appends.count)] += 1 }
        for (code, count) in counts.enumerated() where count > 0 {
            (code < appends.count ? appends[code] : appends[0]).increment(by: count)
        }
    }
}
