import CourierCore
import CourierLog
import Logging

/// Drives the LMDB log with concurrent appenders, reporting each durable append (`courier debug append-load`).
public enum AppendLoadRunner {
    public static func run(
        dataDirectory: String, appenders: Int, shards: Int, perAppender: Int, report: @escaping @Sendable (String) -> Void
    ) async throws {
        let directory = try DataDirectory.openOrCreate(dataDirectory, newNodeID: SystemSources.newNodeID)
        var configuration = LMDBEventLog.Configuration()
        configuration.segmentSizeBytes = 1 << 20  // small segments: kills also land during sealing
        let log = try LMDBEventLog(
            directory: directory.logPath, configuration: configuration, clock: SystemSources.clock,
            logger: Logger(label: "append-load", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    for index in 0..<perAppender {
                        let shard = UInt16((appender + index) % shards)
                        let tag = "a\(appender)-\(index)"
                        let event = SendEvent(messageID: tag, to: "16315551000", type: "text", content: Array("{\"body\":\"\(tag)\"}".utf8))
                        // Some appends carry two events to check that a batch is all-or-nothing.
                        var entries = [LogEntry(shard: shard, epoch: 1, kind: .send, payload: event.encoded())]
                        if index % 5 == 0 {
                            let twin = SendEvent(messageID: tag + "-twin", to: "16315551000", type: "text", content: [])
                            entries.append(LogEntry(shard: shard, epoch: 1, kind: .send, payload: twin.encoded()))
                        }
                        let positions = try await log.append(entries)
                        for (position, suffix) in zip(positions, ["", "-twin"]) {
                            report("ack \(position.shard) \(position.seq) \(tag)\(suffix)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        await log.close()
    }
}
