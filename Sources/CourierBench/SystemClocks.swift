import CourierCore
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

/// A realtime clock that counts how often the log reads it.
///
/// The log exposes no commit counter, but its writer reads the clock exactly once per commit
/// (`LMDBEventLog.commit`), so reads ≈ commits and events / reads ≈ the average group-commit batch.
/// If the log starts reading the clock elsewhere, this figure becomes an upper bound on commits.
final class CountingClock: Sendable {
    private let reads = Atomic<Int>(0)

    var readCount: Int { reads.load(ordering: .relaxed) }

    var clock: @Sendable () -> Timestamp {
        { [self] in
            reads.add(1, ordering: .relaxed)
            return SystemClocks.realtime()
        }
    }
}
