import CourierCore
import CourierLog
import Glibc
import Synchronization

/// The clocks the benchmark needs: wall time for the log's timestamps, monotonic time for latencies.
enum SystemClocks {
    /// Wall-clock time, as the node gives the log (CourierApp's `SystemSources.clock`).
    static func realtime() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    /// Nanoseconds on a clock that never steps; only differences mean anything.
    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
