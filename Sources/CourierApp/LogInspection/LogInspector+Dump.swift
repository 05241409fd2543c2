import CourierCore
import CourierLog
import Glibc

extension LogInspector {
    /// Filters shared by `dump` and `tail`.
    public struct RecordFilter: Sendable {
        public var shard: UInt16? = nil
        public var kinds: Set<UInt16>? = nil
        public var fromSeq: UInt64? = nil
        public var toSeq: UInt64? = nil
        public var since: Timestamp? = nil
        public var until: Timestamp? = nil
        public var messageID: String? = nil
        public var waID: String? = nil
        public init() {}

        func accepts(_ record: Record) -> Bool {
            if let kinds, !kinds.contains(record.kindCode) { return false }
            if let fromSeq, record.seq < fromSeq { return false }
            if let toSeq, record.seq > toSeq { return false }
            if let since, record.timestamp < since { return false }
            if let until, record.timestamp > until { return false }
            if messageID != nil || waID != nil {
                let event = try? Event.decode(record)  // undecodable records match no id filter
                if let messageID, event?.messageID != messageID { return false }
                if let waID, event?.waID != waID { return false }
            }
            return true
        }
    }

    public struct DumpOptions: Sendable {
        public var filter = RecordFilter()
        public var limit: Int? = nil
        public var fullPayload = false
        public var json = false
        public var includeArchive = false
        public init() {}
    }

    /// Records in (stream, seq) order; with `includeArchive`, archived segments' records first.
    public func dump(_ options: DumpOptions) throws {
        var printed = 0
        let archived = options.includeArchive ? try openArchive() : nil
        defer { archived?.remove() }
        var streams = Set(log.streams().map(\.shard))
        if let archived { streams.formUnion(archived.log.streams().map(\.shard)) }
        let shards = options.filter.shard.map { [$0] } ?? streams.sorted()
        for shard in shards {
            for source in [archived?.log, log].compactMap({ $0 }) {
                var next = options.filter.fromSeq ?? 1
                if source === log, let archived { next = max(next, archived.log.lastSeq(shard: shard) + 1) }
                if try dumpStream(shard, from: source, next: next, options, printed: &printed) { return }
            }
        }
    }

    /// One stream of one log; true once the limit is reached.
    private func dumpStream(_ shard: UInt16, from source: LMDBEventLog, next start: UInt64, _ options: DumpOptions, printed: inout Int) throws -> Bool {
        var next = start
        do {
            while true {
                if let limit = options.limit, printed >= limit { return true }
                let records = try readChecked(shard: shard, fromSeq: next, limit: 10_000, from: source)
                for record in records where options.filter.accepts(record) {
                    if let limit = options.limit, printed >= limit { return true }
                    if let toSeq = options.filter.toSeq, record.seq > toSeq { break }
                    output(Self.format(record, json: options.json, fullPayload: options.fullPayload))
                    printed += 1
                }
                guard let last = records.last, records.count == 10_000 else { break }
                if let toSeq = options.filter.toSeq, last.seq >= toSeq { break }
                next = last.seq + 1
            }
        }
        return false
    }

    func readChecked(shard: UInt16, fromSeq: UInt64, limit: Int, from source: LMDBEventLog? = nil) throws -> [Record] {
        do {
            return try (source ?? log).read(shard: shard, fromSeq: fromSeq, limit: limit)
        } catch let error as LogError {
            throw AppError(error.message, exitCode: 1)
        }
    }

    static func format(_ record: Record, json: Bool, fullPayload: Bool) -> String {
        let event: Event?
        let decodeError: String?
        do {
            event = try Event.decode(record)
            decodeError = nil
        } catch {
            event = nil
            decodeError = "\(error)"
        }
        let kind = EventKind.name(ofCode: record.kindCode)
        let checksum = record.checksum
        if json {
            var object: JSONObject = [
                "shard": record.shard == Record.controlShard ? .string("control") : .integer(Int64(record.shard)),
                "seq": .integer(Int64(record.seq)), "epoch": .integer(Int64(record.epoch)),
                "time": .string(record.timestamp.description), "kind": .string(kind),
                "size": .integer(Int64(record.payload.count)),
                "checksum": .string("crc32c:" + String(checksum, radix: 16).leftPadded(to: 8)),
            ]
            if let event {
                object["payload"] = event.json
            } else {
                object["payload"] = .null
                object["payload_hex"] = .string(record.payload.prefix(256).map { String($0, radix: 16).leftPadded(to: 2) }.joined())
                if let decodeError { object["payload_error"] = .string(decodeError) }
            }
            return JSONValue.object(object).serializedString
        }
        let position = padded("\(streamName(record.shard)):\(record.seq)", 10)
        let detail: String
        if let event {
            detail = fullPayload ? event.json.serializedString : event.summary
        } else {
            detail = decodeError.map { "undecodable: \($0)" } ?? "unknown kind \(record.kindCode)"
        }
        return position + " " + padded("e\(record.epoch)", 4) + " " + record.timestamp.description + "  "
            + padded(kind, 18) + " " + detail + " \(record.payload.count)B"
    }
}
