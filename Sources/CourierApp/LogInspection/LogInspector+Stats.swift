import CourierCore
import CourierLog

extension LogInspector {
    public struct StatsOptions: Sendable {
        public var shard: UInt16? = nil
        public var json = false
        public init() {}
    }

    /// Per stream: counts per kind, bytes, oldest/newest time, events/s over the last minute of records.
    public func stats(_ options: StatsOptions) throws {
        let segments = log.segments()
        let replication = self.replication
        let archived = SegmentArchive(logDirectory: dataDirectory.logPath).entries()
        for stream in log.streams() where options.shard.map({ $0 == stream.shard }) ?? true {
            var kinds: [UInt16: Int] = [:]
            var oldest: Timestamp? = nil
            var newest = Timestamp.zero
            var times: [Timestamp] = []
            var next: UInt64 = 1
            var records = 0
            var lastGC: (event: GCEvent, time: Timestamp)? = nil
            while true {
                let chunk = try readChecked(shard: stream.shard, fromSeq: next, limit: 10_000)
                for record in chunk {
                    kinds[record.kindCode, default: 0] += 1
                    oldest = oldest.map { min($0, record.timestamp) } ?? record.timestamp
                    newest = max(newest, record.timestamp)
                    times.append(record.timestamp)
                    if times.count > 200_000 { times.removeFirst(100_000) }
                    records += 1
                    if record.kindCode == EventKind.gc.rawValue, case .gc(let event)? = try? Event.decode(record), event.phase == .end {
                        lastGC = (event, record.timestamp)  // an undecodable gc record is verify's to report
                    }
                }
                guard let last = chunk.last, chunk.count == 10_000 else { break }
                next = last.seq + 1
            }
            let minuteAgo = Timestamp(microseconds: newest.microseconds - 60_000_000)
            let lastMinute = times.filter { $0 > minuteAgo }.count
            var active = 0
            var sealed = 0
            for segment in segments {
                guard let range = segment.streams[stream.shard] else { continue }
                if segment.sealed { sealed += range.bytes } else { active += range.bytes }
            }
            // An archived segment's bytes are shared by its streams in proportion to their records.
            let archivedBytes = archived.reduce(0) { total, entry in
                guard let range = entry.manifest.streams[stream.shard], entry.manifest.recordCount > 0 else { return total }
                return total + entry.bytes * range.count / entry.manifest.recordCount
            }
            let snapshotBytes = snapshotStore.snapshots(shard: stream.shard).reduce(0) { $0 + $1.bytes }
            let lastGCText = lastGC.map {
                "\($0.event.runID) \($0.event.outcome), \($0.event.messagesDeleted) messages deleted, \($0.time)"
            }
            let kindCounts = kinds.keys.sorted().map { (EventKind.name(ofCode: $0), kinds[$0]!) }
            if options.json {
                let value: JSONValue = [
                    "stream": .string(Self.streamName(stream.shard)), "epoch": .integer(Int64(stream.epoch)),
                    "records": .integer(Int64(records)), "oldest": oldest.map { .string($0.description) } ?? .null,
                    "newest": .string(newest.description),
                    "kinds": .object(JSONObject(kindCounts.map { (key: $0.0, value: .integer(Int64($0.1))) })),
                    "bytes": ["active": .integer(Int64(active)), "sealed": .integer(Int64(sealed)), "archived": .integer(Int64(archivedBytes)), "snapshots": .integer(Int64(snapshotBytes))],
                    "events_per_second_last_minute": .double(Double(lastMinute) / 60),
                    "replication": replication.map { record -> JSONValue in
                        guard let entry = record.streams[stream.shard] else { return ["configured": true, "replicated_seq": .null] }
                        return [
                            "configured": true, "replicated_seq": .integer(Int64(entry.replicatedSeq)),
                            "lag_events": .integer(Int64(entry.lagEvents)), "lag_seconds": .double(entry.lagSeconds),
                        ]
                    } ?? ["configured": false],
                    "last_gc": lastGC.map { gc -> JSONValue in
                        [
                            "run_id": .string(gc.event.runID), "status": .string(gc.event.outcome),
                            "messages_deleted": .integer(Int64(gc.event.messagesDeleted)), "time": .string(gc.time.description),
                        ]
                    } ?? .null,
                ]
                output(value.serializedString)
                continue
            }
            output(
                "stream \(Self.streamName(stream.shard))   epoch \(stream.epoch)   records \(records)   oldest \(oldest?.description ?? "-")   newest \(newest)"
            )
            output("  " + kindCounts.map { "\($0.0) \($0.1)" }.joined(separator: "  "))
            output("  bytes: active \(formatBytes(active))  sealed \(formatBytes(sealed))  archived \(formatBytes(archivedBytes))  snapshots \(formatBytes(snapshotBytes))")
            output("  rate: \(String(format1: Double(lastMinute) / 60)) events/s over the last minute of records")
            if let entry = replication?.streams[stream.shard] {
                output(
                    "  replication: replicated \(entry.replicatedSeq)  lag \(entry.lagEvents) events / \(String(format2: entry.lagSeconds)) s"
                        + (entry.stopped.map { "  STOPPED: \($0)" } ?? ""))
            } else {
                output(replication == nil ? "  replication: not configured" : "  replication: not yet recorded")
            }
            output("  last gc: \(lastGCText ?? "none")")
        }
    }
}
