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
        let (log, shards, gc, _) = try await openWithControl(dataDirectory: dataDirectory, logger: logger)
        return (log, shards, gc)
    }

    /// Also the control stream, snapshotted every few records so a kill lands in its snapshot writes too.
    public static func openWithControl(dataDirectory: String, logger: Logger) async throws
        -> (LMDBEventLog, ShardDirectory, MessageGC, ControlActor)
    {
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
        var controlConfiguration = ControlActor.Configuration()
        controlConfiguration.snapshots = configuration.snapshots
        controlConfiguration.snapshotEveryEvents = 3
        let control = ControlActor(
            log: log, credentials: .crypto(), configuration: controlConfiguration, clock: SystemSources.clock, logger: logger)
        _ = try await control.replay()  // no first-start admin: its hash would slow the load's start
        var gcConfiguration = MessageGC.Configuration(nodeKey: "gc-load")
        gcConfiguration.stepLimit = 250
        let gc = MessageGC(shards: shards, log: log, configuration: gcConfiguration, logger: logger, control: control)
        return (log, shards, gc, control)
    }

    public static func run(dataDirectory: String, rounds: Int, report: @escaping @Sendable (String) -> Void) async throws {
        let logger = Logger(label: "gc-load", factory: { _ in SwiftLogNoOpLogHandler() })
        let (log, shards, gc, control) = try await openWithControl(dataDirectory: dataDirectory, logger: logger)
        let prefix = "p\(ProcessInfo.processInfo.processIdentifier)"
        let body = Array("{\"body\":\"\(String(repeating: "y", count: 300))\"}".utf8)
        var users: Task<Void, Never>? = nil
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
            // Control records (and control snapshots every 3 of them) alongside from the second round on,
            // so the first one completes a GC run quickly.
            if users == nil {
                users = Task {
                    var index = 0
                    while !Task.isCancelled {
                        let username = "\(prefix)-u\(index)"
                        if (try? await control.createUser(username: username, password: "Gc-l0ad!\(index)")) == .done {
                            report("user \(username) created")
                        }
                        index += 1
                        try? await Task.sleep(for: .milliseconds(150))  // hashing is slow: leave the pool to the traffic
                    }
                }
            }
        }
        users?.cancel()
        await log.close()
    }
}
