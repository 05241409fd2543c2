import CourierCore
import CourierLog

/// Reads a whole log back the way a starting node does: per shard, in seq order, in chunks.
struct ReplayBenchmark {
    /// How deep each pass goes: the costs add up, so the difference between lines shows where time goes.
    enum Depth: CaseIterable {
        /// `forEachRecord` only: LMDB cursor, copy out, record header and CRC32C check.
        case records
        /// Plus decoding each payload into an `Event`.
        case events
        /// Plus folding into `ShardState`, as replay on start does.
        case shardState

        var label: String {
            switch self {
            case .records: "replay: read records (copy + CRC)"
            case .events: "replay: read + decode events"
            case .shardState: "replay: fold into ShardState"
            }
        }
    }

    struct Result {
        var records: Int
        var seconds: Double
        var recordsPerSecond: Double { Double(records) / seconds }
    }

    /// Every pass reads the whole log; the best of `passes` is kept to damp scheduler noise.
    /// The pages are in the page cache (just written), so this is CPU cost, not disk reads.
    static func run(log: LMDBEventLog, depth: Depth, passes: Int = 3) throws -> Result {
        var best: Result?
        for _ in 0..<passes {
            let start = SystemClocks.monotonicNanoseconds()
            let records = try readAll(log: log, depth: depth)
            let seconds = Double(SystemClocks.monotonicNanoseconds() - start) / 1e9
            if best.map({ seconds < $0.seconds }) ?? true { best = Result(records: records, seconds: seconds) }
        }
        return best!
    }

    private static func readAll(log: LMDBEventLog, depth: Depth) throws -> Int {
        var total = 0
        for stream in log.streams() {
            var state = ShardState(shard: stream.shard)
            var decoded = 0
            try log.forEachRecord(shard: stream.shard) { record in
                switch depth {
                case .records: break
                case .events: if try Event.decode(record) != nil { decoded += 1 }
                case .shardState: _ = try state.apply(record)
                }
                total += 1
            }
            // Keep the work observable so the optimizer cannot drop it.
            precondition(
                depth != .shardState || state.appliedSeq == stream.lastSeq,
                "shard \(stream.shard) replay stopped short"
            )
            precondition(depth != .events || decoded > 0 || stream.lastSeq == 0, "no events decoded")
        }
        return total
    }
}
