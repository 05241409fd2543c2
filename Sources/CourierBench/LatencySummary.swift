/// Percentiles of append-to-ack latencies.
struct LatencySummary {
    var p50Nanoseconds: UInt64
    var p99Nanoseconds: UInt64
    var maximumNanoseconds: UInt64

    init(_ samples: [UInt64]) {
        precondition(!samples.isEmpty, "no latency samples")
        let sorted = samples.sorted()
        p50Nanoseconds = Self.percentile(0.50, of: sorted)
        p99Nanoseconds = Self.percentile(0.99, of: sorted)
        maximumNanoseconds = sorted[sorted.count - 1]
    }

    /// Nearest-rank percentile of an ascending array.
    private static func percentile(_ fraction: Double, of sorted: [UInt64]) -> UInt64 {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }
}
