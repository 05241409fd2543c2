/// When automatic message GC runs (operations.md §4): with `db_garbagecollector_enable` on, one run
/// every interval, never two at once. Pure: the caller passes `now` and performs the decision.
public struct AutoGCSchedule: Hashable, Sendable {
    public let intervalMicroseconds: Int64
    /// The last start, or when the schedule began (a restart does not run GC at once).
    public private(set) var lastStart: Timestamp

    public init(intervalSeconds: Int, startedAt: Timestamp) {
        intervalMicroseconds = Int64(intervalSeconds) * 1_000_000
        lastStart = startedAt
    }

    /// Whether to start a run now; a yes counts as the run's start.
    public mutating func shouldStart(now: Timestamp, enabled: Bool, running: Bool) -> Bool {
        var start = false
        if enabled, !running, now.microseconds - lastStart.microseconds >= intervalMicroseconds {
            lastStart = now
            start = true
        }
        return start
    }
}
