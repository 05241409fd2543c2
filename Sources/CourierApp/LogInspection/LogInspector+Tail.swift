import CourierCore
import CourierLog
import Glibc

extension LogInspector {
    public struct TailOptions: Sendable {
        public var count = 10
        public var follow = false
        public var filter = RecordFilter()
        public var json = false
        public init() {}
    }

    /// The last `count` records across streams by time; with `follow`, prints new commits every 100 ms
    /// until `shouldStop` says so (the CLI stops on SIGINT).
    public func tail(_ options: TailOptions, shouldStop: () -> Bool = { false }) throws {
        var next: [UInt16: UInt64] = [:]
        var recent: [Record] = []
        for stream in log.streams() where options.filter.shard.map({ $0 == stream.shard }) ?? true {
            // Unfiltered, the last `count` records suffice; filtered, walk the stream from its start.
            let unfiltered = options.filter.kinds == nil && options.filter.messageID == nil && options.filter.waID == nil
            var from = unfiltered && stream.lastSeq > UInt64(options.count) ? stream.lastSeq - UInt64(options.count) + 1 : 1
            var streamRecent: [Record] = []
            defer { recent += streamRecent }
            while true {
                let records = try readChecked(shard: stream.shard, fromSeq: from, limit: 10_000)
                streamRecent = Array((streamRecent + records.filter(options.filter.accepts)).suffix(options.count))
                guard let last = records.last, records.count == 10_000 else { break }
                from = last.seq + 1
            }
            next[stream.shard] = stream.lastSeq + 1
        }
        for record in Self.byTime(recent).suffix(options.count) {
            output(Self.format(record, json: options.json, fullPayload: false))
        }
        guard options.follow else { return }
        while !shouldStop() {
            usleep(100_000)
            try? log.refresh()  // a failed directory listing is retried on the next poll
            var fresh: [Record] = []
            let shards = Set(log.streams().map(\.shard)).union(next.keys).union(Self.allStreams)
            for shard in shards where options.filter.shard.map({ $0 == shard }) ?? true {
                let records = try readChecked(shard: shard, fromSeq: next[shard] ?? 1, limit: 10_000)
                if let last = records.last { next[shard] = last.seq + 1 }
                fresh += records.filter(options.filter.accepts)
            }
            for record in Self.byTime(fresh) { output(Self.format(record, json: options.json, fullPayload: false)) }
        }
    }

    /// Streams a follower polls even before they appear: shards 0–31 and control.
    static let allStreams: [UInt16] = (0..<32).map { UInt16($0) } + [Record.controlShard]

    static func byTime(_ records: [Record]) -> [Record] {
        records.sorted { ($0.timestamp, $0.shard, $0.seq) < ($1.timestamp, $1.shard, $1.seq) }
    }
}
