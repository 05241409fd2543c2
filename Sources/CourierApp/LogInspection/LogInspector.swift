import CourierCore
import CourierLog
import Foundation
import Logging

/// `courier log …` (eventlog.md §8): read-only inspection of a data dir's event log, on a stopped
/// node or beside a running one. Writes lines to `output`; throws `AppError` (exit 2) for bad input.
public final class LogInspector {
    public let dataDirectory: DataDirectory
    let log: LMDBEventLog
    let output: (String) -> Void

    public init(dataDirectoryPath: String, output: @escaping (String) -> Void) throws {
        dataDirectory = try DataDirectory.openExisting(dataDirectoryPath)
        var configuration = LMDBEventLog.Configuration()
        configuration.readOnly = true
        do {
            log = try LMDBEventLog(
                directory: dataDirectory.logPath, configuration: configuration, clock: { .zero },
                logger: Logger(label: "courier.log-inspector", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch let error as LogError {
            throw AppError("cannot open the event log in \(dataDirectoryPath): \(error.message)")
        }
        self.output = output
    }

    public func close() async { await log.close() }

    /// What the node's replicator last recorded (`replication.json`): per stream replicated seq and lag.
    struct ReplicationRecord {
        var connected: Bool
        var streams: [UInt16: (replicatedSeq: UInt64, lagEvents: UInt64, lagSeconds: Double, stopped: String?)]
    }

    var replication: ReplicationRecord? {
        guard let data = FileManager.default.contents(atPath: dataDirectory.replicationStatusPath),
            let value = try? JSONParser.parse(Array(data))  // unreadable status: shown as "not recorded"
        else { return nil }
        var streams: [UInt16: (replicatedSeq: UInt64, lagEvents: UInt64, lagSeconds: Double, stopped: String?)] = [:]
        for stream in value["streams"]?.arrayValue ?? [] {
            guard case .integer(let shard)? = stream["shard"], case .integer(let seq)? = stream["replicated_seq"] else { continue }
            let lagEvents: UInt64 = if case .integer(let lag)? = stream["lag_events"] { UInt64(max(0, lag)) } else { 0 }
            let lagSeconds = stream["lag_seconds"].flatMap(LenientValue.double) ?? 0
            streams[UInt16(truncatingIfNeeded: shard)] = (UInt64(max(0, seq)), lagEvents, lagSeconds, stream["stopped"]?.stringValue)
        }
        return ReplicationRecord(connected: value["connected"] == .bool(true), streams: streams)
    }

    var snapshotStore: SnapshotStore { SnapshotStore(directory: dataDirectory.snapshotsPath) }

    static func streamName(_ shard: UInt16) -> String { shard == Record.controlShard ? "control" : String(shard) }

    /// Parses a stream name as the CLI takes it: `0`–`31` or `control`.
    public static func parseStream(_ text: String) throws -> UInt16 {
        if text == "control" { return Record.controlShard }
        guard let shard = UInt16(text), shard < 32 else {
            throw AppError("--shard must be 0–31 or control, not '\(text)'")
        }
        return shard
    }

    public static func parseKinds(_ text: String) throws -> Set<UInt16> {
        var kinds: Set<UInt16> = []
        for name in text.split(separator: ",") {
            guard let kind = EventKind(name: String(name)) else {
                let known = EventKind.allCases.map(\.name).joined(separator: ", ")
                throw AppError("unknown kind '\(name)'; kinds are \(known)")
            }
            kinds.insert(kind.rawValue)
        }
        return kinds
    }

    public static func parseTime(_ text: String, flag: String) throws -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else {
            throw AppError("\(flag) must be an RFC 3339 time such as 2026-11-22T18:05:01Z, not '\(text)'")
        }
        return time
    }
}

/// Byte counts as people read them: `151.2 MiB`.
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    return String(Int((value * 10).rounded()) / 10) + "." + String(Int((value * 10).rounded()) % 10) + " " + units[unit]
}

func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
