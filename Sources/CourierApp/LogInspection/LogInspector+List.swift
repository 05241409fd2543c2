import CourierCore
import CourierLog

extension LogInspector {
    public struct ListOptions: Sendable {
        public var segments = false
        public var includeArchive = false
        public var json = false
        public init() {}
    }

    public func list(_ options: ListOptions) {
        let segments = log.segments()
        let streams = log.streams()
        let replication = self.replication
        let archived = SegmentArchive(logDirectory: dataDirectory.logPath).entries()
        if options.json {
            let value: JSONValue = [
                "node_id": .string(dataDirectory.nodeID), "data_dir": .string(dataDirectory.path),
                "format": .integer(Int64(DataDirectory.formatVersion)),
                "segments": .array(
                    segments.map(Self.segmentJSON) + (options.includeArchive ? archived.map(Self.archivedSegmentJSON) : [])),
                "streams": .array(streams.map { stream in
                    [
                        "stream": .string(Self.streamName(stream.shard)), "epoch": .integer(Int64(stream.epoch)),
                        "first_seq": .integer(Int64(stream.firstSeq)), "last_seq": .integer(Int64(stream.lastSeq)),
                        "snapshot_seq": snapshotStore.snapshots(shard: stream.shard).first.map { .integer(Int64($0.seq)) } ?? .null,
                        "replicated_seq": replication?.streams[stream.shard].map { .integer(Int64($0.replicatedSeq)) } ?? .null, "bytes": .integer(Int64(stream.bytes)),
                    ]
                }),
                "archive": .integer(Int64(archived.count)),
                "divergent": .array((replication?.streams ?? [:]).compactMap { $0.value.stopped.map { JSONValue.string($0) } }),
            ]
            output(value.serializedString)
            return
        }
        let active = segments.filter { !$0.sealed }.count
        output(
            "node \(dataDirectory.nodeID)   data \(dataDirectory.path)   format v\(DataDirectory.formatVersion)   \(segments.count) segments (\(active) active)   archive \(archived.count)"
        )
        output(
            padded("STREAM", 9) + padded("EPOCH", 7) + padded("FIRST SEQ", 11) + padded("LAST SEQ", 11)
                + padded("SNAPSHOT@", 11) + padded("REPLICATED@", 13) + "BYTES")
        for stream in streams {
            output(
                padded(Self.streamName(stream.shard), 9) + padded(String(stream.epoch), 7)
                    + padded(String(stream.firstSeq), 11) + padded(String(stream.lastSeq), 11)
                    + padded(snapshotStore.snapshots(shard: stream.shard).first.map { String($0.seq) } ?? "-", 11)
                    + padded(replication?.streams[stream.shard].map { String($0.replicatedSeq) } ?? "-", 13)
                    + formatBytes(stream.bytes))
        }
        if options.segments {
            output("")
            output(padded("SEGMENT", 14) + padded("STATE", 8) + padded("RECORDS", 10) + padded("FILE", 12) + "STREAMS")
            if options.includeArchive {
                for entry in archived {
                    let ranges = entry.manifest.streams.keys.sorted().map { shard -> String in
                        let range = entry.manifest.streams[shard]!
                        return "\(Self.streamName(shard)):\(range.firstSeq)-\(range.lastSeq)"
                    }
                    output(
                        padded(entry.name, 14) + padded("archived", 8) + padded(String(entry.manifest.recordCount), 10)
                            + padded(formatBytes(entry.bytes), 12) + ranges.joined(separator: " "))
                }
            }
            for segment in segments {
                let ranges = segment.streams.keys.sorted().map { shard -> String in
                    let range = segment.streams[shard]!
                    return "\(Self.streamName(shard)):\(range.firstSeq)-\(range.lastSeq)"
                }
                output(
                    padded(segment.name, 14) + padded(segment.sealed ? "sealed" : "active", 8)
                        + padded(String(segment.recordCount), 10) + padded(formatBytes(segment.fileBytes), 12)
                        + ranges.joined(separator: " "))
            }
        }
        let stopped = (replication?.streams ?? [:]).sorted { $0.key < $1.key }.compactMap { $0.value.stopped }
        output("divergent: " + (stopped.isEmpty ? "none" : stopped.joined(separator: "; ")))
    }

    static func archivedSegmentJSON(_ entry: SegmentArchive.Entry) -> JSONValue {
        [
            "segment": .string(entry.name), "state": "archived",
            "records": .integer(Int64(entry.manifest.recordCount)), "file_bytes": .integer(Int64(entry.bytes)),
            "streams": .array(entry.manifest.streams.keys.sorted().map { shard in
                let range = entry.manifest.streams[shard]!
                return [
                    "stream": .string(streamName(shard)), "first_seq": .integer(Int64(range.firstSeq)),
                    "last_seq": .integer(Int64(range.lastSeq)), "count": .integer(Int64(range.count)),
                ]
            }),
        ]
    }

    static func segmentJSON(_ segment: LMDBEventLog.SegmentDescription) -> JSONValue {
        [
            "segment": .string(segment.name), "state": .string(segment.sealed ? "sealed" : "active"),
            "records": .integer(Int64(segment.recordCount)), "file_bytes": .integer(Int64(segment.fileBytes)),
            "streams": .array(segment.streams.keys.sorted().map { shard in
                let range = segment.streams[shard]!
                return [
                    "stream": .string(streamName(shard)), "first_seq": .integer(Int64(range.firstSeq)),
                    "last_seq": .integer(Int64(range.lastSeq)), "count": .integer(Int64(range.count)),
                ]
            }),
        ]
    }
}
