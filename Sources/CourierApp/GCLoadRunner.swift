import CourierCore
import CourierLog
import CourierShards
import Foundation
import Logging

/// Drives message GC under traffic on a data directory (`courier debug gc-load`), for the kill -9 test.
public enum GCLoadRunner {
    public static let shardCount = 2

    /// Opens the log, snapshots and shards of `dataDirectory` as the load and the test both do.
    public static func open(dataDirectory: String, logger: Logger) async throws -> (LMDBEventLog, ShardDirectory, MessageGC) {
        let directory = try DataDirectory.openOrCreate(dataDirectory, newNodeID: SystemSources.newNodeID)
        var logConfiguration = LMDBEventLog.Configuration()
        logConfiguration.segmentSizeBytes = 1 << 20  // small segments: removals happen every run
        let log = try LMDBEventLog(
            directory: directory.logPath, configuration: logConfiguration, clock: SystemSources.clock, logger: logger)
        var configuration = ShardActor.Configuration()
        configuration.snapshots = SnapshotStore(directory: directory.snapshotsPath)
        configuration.snapshotEveryEvents = 3_000
        let shards = ShardDirectory(shardCount: shardCount, log: log, epoch: 1, configuration: configuration, logger: logger)
        _ = try await shards.replayAll()
        var gcConfiguration = MessageGC.Configuration(nodeKey: "gc-load")
        gcConfiguration.stepLimit = 250
        let gc = MessageGC(shards: shards, log: log, configuration: gcConfiguration, logger: logger)
        return (log, shards, gc)
    }

    public static func run(dataDirectory: String, rounds: Int, report: @escaping @Sendable (String) -> Void) async throws {
        let logger = Logger(label: "gc-load", factory: { _ in SwiftLogNoOpLogHandler() })
        let (log, shards, gc) = try await open(dataDirectory: dataDirectory, logger: logger)
        let prefix = "p\(ProcessInfo.processInfo.processIdentifier)"
        let body = Array("{\"body\":\"\(String(repeating: "y", count: 300))\"}".utf8)
        for round in 0..<rounds {
            // Traffic goes on while the run's steps are appended.
            await gc.start()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in 0..<250 {
                            let id = "\(prefix)-\(round)-\(worker)-\(index)"
                            let to = "1631555\(1000 + index % 89)"
                            let actor = shards.actor(for: to)
                            _ = try await actor.send(SendRequest(messageID: id, to: to, type: "text", content: body))
                            if index % 3 == 0 {
                                report("ack \(id) unsent")
                            } else {
                                try await actor.recordStatus(StatusEvent(messageID: id, waID: to, status: .read, networkTimestamp: .zero))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            if let result = await gc.waitForCompletion() { report("gc \(result.runID) \(result.status)") }
        }
        await log.close()
    }
}
