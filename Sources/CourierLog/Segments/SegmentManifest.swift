import CourierCore

/// One stream's extent inside one segment.
public struct StreamRange: Hashable, Sendable {
    public var firstSeq: UInt64
    public var lastSeq: UInt64
    public var count: Int
    public var bytes: Int
    public var epoch: UInt64
    public var firstTimestamp: Timestamp
    public var lastTimestamp: Timestamp

    init(record: Record, bytes: Int) {
        firstSeq = record.seq
        lastSeq = record.seq
        count = 1
        self.bytes = bytes
        epoch = record.epoch
        firstTimestamp = record.timestamp
        lastTimestamp = record.timestamp
    }

    mutating func add(_ record: Record, bytes: Int) {
        firstSeq = min(firstSeq, record.seq)
        lastSeq = max(lastSeq, record.seq)
        count += 1
        self.bytes += bytes
        epoch = max(epoch, record.epoch)
        lastTimestamp = max(lastTimestamp, record.timestamp)
        firstTimestamp = min(firstTimestamp, record.timestamp)
    }
}

/// What a sealed segment holds (eventlog.md §5): written when the segment is sealed, never changed.
///
/// `checksum` is the wrapping sum of every record's CRC32C: order-independent, so the writer keeps
/// it up to date as batches commit and sealing needs no scan.
public struct SegmentManifest: Hashable, Sendable {
    public var segmentID: UInt64
    public var formatVersion: Int
    public var recordCount: Int
    public var recordBytes: Int
    public var checksum: UInt64
    public var sealedAt: Timestamp
    public var streams: [UInt16: StreamRange]

    public static let currentFormatVersion = 1

    func json() -> JSONValue {
        let streamValues: [JSONValue] = streams.keys.sorted().map { shard in
            let range = streams[shard]!
            return [
                "shard": .integer(Int64(shard)), "first_seq": .integer(Int64(range.firstSeq)),
                "last_seq": .integer(Int64(range.lastSeq)), "count": .integer(Int64(range.count)),
                "bytes": .integer(Int64(range.bytes)), "epoch": .integer(Int64(range.epoch)),
                "first_time_us": .integer(range.firstTimestamp.microseconds),
                "last_time_us": .integer(range.lastTimestamp.microseconds),
            ]
        }
        return [
            "segment": .integer(Int64(segmentID)), "format": .integer(Int64(formatVersion)),
            "records": .integer(Int64(recordCount)), "bytes": .integer(Int64(recordBytes)),
            "checksum": .string("crc32c-sum:" + String(checksum, radix: 16)),
            "sealed_at": .string(sealedAt.description), "streams": .array(streamValues),
        ]
    }

    init(segmentID: UInt64, recordCount: Int, recordBytes: Int, checksum: UInt64, sealedAt: Timestamp,
        streams: [UInt16: StreamRange])
    {
        self.segmentID = segmentID
        self.formatVersion = Self.currentFormatVersion
        self.recordCount = recordCount
        self.recordBytes = recordBytes
        self.checksum = checksum
        self.sealedAt = sealedAt
        self.streams = streams
    }

    init(parsing bytes: [UInt8], path: String) throws {
        func bad(_ what: String) -> LogError {
            LogError(.corrupted, "manifest \(path) is damaged (\(what)); run `courier log verify`")
        }
        guard let value = try? JSONParser.parse(bytes) else { throw bad("not JSON") }  // the error kind is all that matters here
        func integer(_ object: JSONValue, _ key: String) throws -> Int64 {
            guard case .integer(let number)? = object[key] else { throw bad("field \(key)") }
            return number
        }
        segmentID = UInt64(try integer(value, "segment"))
        formatVersion = Int(try integer(value, "format"))
        guard formatVersion <= Self.currentFormatVersion else {
            throw LogError(.unsupportedVersion, "manifest \(path) has format v\(formatVersion), newer than this build")
        }
        recordCount = Int(try integer(value, "records"))
        recordBytes = Int(try integer(value, "bytes"))
        guard let text = value["checksum"]?.stringValue, text.hasPrefix("crc32c-sum:"),
            let sum = UInt64(text.dropFirst("crc32c-sum:".count), radix: 16)
        else { throw bad("field checksum") }
        checksum = sum
        guard let sealed = value["sealed_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { throw bad("field sealed_at") }
        sealedAt = sealed
        guard let entries = value["streams"]?.arrayValue else { throw bad("field streams") }
        var streams: [UInt16: StreamRange] = [:]
        for entry in entries {
            let shard = UInt16(truncatingIfNeeded: try integer(entry, "shard"))
            var range = StreamRange(
                record: Record(shard: shard, seq: 0, epoch: 0, timestamp: .zero, kind: .send, payload: []), bytes: 0)
            range.firstSeq = UInt64(try integer(entry, "first_seq"))
            range.lastSeq = UInt64(try integer(entry, "last_seq"))
            range.count = Int(try integer(entry, "count"))
            range.bytes = Int(try integer(entry, "bytes"))
            range.epoch = UInt64(try integer(entry, "epoch"))
            range.firstTimestamp = Timestamp(microseconds: try integer(entry, "first_time_us"))
            range.lastTimestamp = Timestamp(microseconds: try integer(entry, "last_time_us"))
            streams[shard] = range
        }
        self.streams = streams
    }
}

/// File names inside `<data dir>/log/`: `000000000042.mdb` (+ LMDB's `-lock`) and `000000000042.manifest`.
enum SegmentFiles {
    static func name(_ id: UInt64) -> String { String(id).leftPadded(to: 12) }
    static func dataPath(directory: String, id: UInt64) -> String { "\(directory)/\(name(id)).mdb" }
    static func lockPath(directory: String, id: UInt64) -> String { "\(directory)/\(name(id)).mdb-lock" }
    static func manifestPath(directory: String, id: UInt64) -> String { "\(directory)/\(name(id)).manifest" }
}
