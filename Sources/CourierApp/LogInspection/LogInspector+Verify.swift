import CourierCore
import CourierLog

extension LogInspector {
    public struct VerifyOptions: Sendable {
        public var quick = false
        public var includeArchive = false
        public var json = false
        public init() {}
    }

    public struct VerifyReport: Sendable {
        public var records = 0
        public var segments = 0
        public var streams = 0
        public var snapshots = 0
        public var problems: [String] = []
        public var firstProblemPosition: String? = nil
        public var healthy: Bool { problems.isEmpty }
    }

    /// Checks every record (magic, version, checksum, key = header), per-stream seq continuity,
    /// non-decreasing epochs and timestamps, and sealed segments against their manifests.
    /// `quick` checks manifests and the newest record of each stream only.
    public func verify(_ options: VerifyOptions, elapsed: () -> Double = { 0 }) throws -> VerifyReport {
        var report = VerifyReport()
        // Records up to a stream's oldest snapshot may have left the live log (eventlog.md §8).
        var verifier = StreamVerifier(
            snapshotSeqs: Dictionary(snapshotStore.all().map { ($0.shard, $0.seq) }, uniquingKeysWith: min))
        let segments = log.segments()
        report.segments = segments.count
        for segment in segments {
            var count = 0
            var checksum: UInt64 = 0
            var ranges: [UInt16: (first: UInt64, last: UInt64, count: Int)] = [:]
            var after: (shard: UInt16, seq: UInt64)? = nil
            while true {
                let chunk: [(shard: UInt16, seq: UInt64, bytes: [UInt8])]
                do {
                    chunk = try log.rawRecords(segment: segment.id, after: after, limit: 10_000)
                } catch {
                    report.add("cannot read segment \(segment.name): \(error)", at: "segment \(segment.name)")
                    break
                }
                for raw in chunk {
                    count += 1
                    checksum &+= UInt64(raw.bytes.count >= 4 ? raw.bytes.withUnsafeBytes { Record.storedChecksum($0) } : 0)
                    var range = ranges[raw.shard] ?? (raw.seq, raw.seq, 0)
                    range = (min(range.first, raw.seq), max(range.last, raw.seq), range.count + 1)
                    ranges[raw.shard] = range
                    if options.quick { continue }
                    let position = "shard \(Self.streamName(raw.shard)) seq \(raw.seq)"
                    do {
                        let record = try Record.decode(raw.bytes)
                        if record.shard != raw.shard || record.seq != raw.seq {
                            report.add(
                                "key mismatch: segment \(segment.name), \(position) holds a record of shard \(record.shard) seq \(record.seq)",
                                at: position)
                        }
                        for problem in verifier.check(record) { report.add(problem, at: position) }
                    } catch {
                        report.add("\(error): segment \(segment.name), shard \(Self.streamName(raw.shard)), seq \(raw.seq)", at: position)
                        verifier.skip(shard: raw.shard, seq: raw.seq)
                    }
                }
                guard let last = chunk.last, chunk.count == 10_000 else { break }
                after = (last.shard, last.seq)
            }
            report.records += count
            if segment.sealed {
                if count != segment.recordCount || checksum != segment.checksum {
                    report.add(
                        "manifest mismatch: segment \(segment.name) lists \(segment.recordCount) records, holds \(count)\(checksum != segment.checksum ? "; checksum differs" : "")",
                        at: "segment \(segment.name)")
                }
                for (shard, range) in segment.streams where ranges[shard].map({ $0.first != range.firstSeq || $0.last != range.lastSeq }) ?? true {
                    report.add(
                        "manifest mismatch: segment \(segment.name), stream \(Self.streamName(shard)) lists \(range.firstSeq)–\(range.lastSeq)",
                        at: "segment \(segment.name)")
                }
            }
        }
        report.streams = log.streams().count
        for snapshot in snapshotStore.all() {
            do {
                let (_, payload) = try snapshotStore.load(snapshot)
                if snapshot.shard == Record.controlShard {
                    _ = try ControlState(snapshot: payload)
                } else {
                    _ = try ShardState(snapshot: payload)
                }
                report.snapshots += 1
            } catch {
                report.add("\(error)", at: "snapshot \(snapshot.path)")
            }
        }
        if report.healthy {
            output(
                "ok: \(report.records) records in \(report.segments) segments, \(report.streams) streams, \(report.snapshots) snapshots; 0 problems (\(String(format1: elapsed())) s)"
            )
        } else {
            for problem in report.problems.prefix(100) { output("error: " + problem) }
            output("verify failed: \(report.problems.count) problems, first at \(report.firstProblemPosition ?? "?")")
        }
        return report
    }
}

extension LogInspector.VerifyReport {
    mutating func add(_ problem: String, at position: String) {
        if problems.isEmpty { firstProblemPosition = position }
        problems.append(problem)
    }
}

/// Continuity checks along each stream, fed records in seq order.
struct StreamVerifier {
    private var last: [UInt16: (seq: UInt64, epoch: UInt64, timestamp: Timestamp)] = [:]
    /// Each stream's oldest snapshot: the stream may start anywhere up to the seq after it.
    var snapshotSeqs: [UInt16: UInt64] = [:]

    init(snapshotSeqs: [UInt16: UInt64] = [:]) { self.snapshotSeqs = snapshotSeqs }

    mutating func check(_ record: Record) -> [String] {
        var problems: [String] = []
        let name = LogInspector.streamName(record.shard)
        if let previous = last[record.shard] {
            if record.seq != previous.seq + 1 {
                let missing = record.seq > previous.seq + 1 ? " (\(previous.seq + 1)\(record.seq > previous.seq + 2 ? "…\(record.seq - 1)" : "") missing)" : ""
                problems.append("seq gap: shard \(name), \(previous.seq) → \(record.seq)\(missing)")
            }
            if record.epoch < previous.epoch {
                problems.append("epoch went back: shard \(name) seq \(record.seq), \(previous.epoch) → \(record.epoch)")
            }
            if record.timestamp < previous.timestamp {
                problems.append("time went back: shard \(name) seq \(record.seq)")
            }
        } else if record.seq != 1 && record.seq > (snapshotSeqs[record.shard] ?? 0) + 1 {
            problems.append("seq gap: shard \(name) starts at \(record.seq), not 1")
        }
        last[record.shard] = (record.seq, record.epoch, max(record.timestamp, last[record.shard]?.timestamp ?? .zero))
        return problems
    }

    /// A damaged record still occupies its position, so the next one is not reported as a gap.
    mutating func skip(shard: UInt16, seq: UInt64) {
        let previous = last[shard]
        last[shard] = (seq, previous?.epoch ?? 0, previous?.timestamp ?? .zero)
    }
}

extension String {
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

extension String {
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
    }
}
