import CourierCore
import CourierLog
import CourierShards
import Foundation
import Logging
import Synchronization

/// Message GC of N terminal messages in one call (operations.md §4: 10 M in under a minute), with
/// send latency measured without GC and during it in the same run (goal: p99 under 2×).
struct GCBenchmark {
    var messages: Int
    var shards = 4
    var senders = 16
    /// Messages per `gc step` (≤ 10 000).
    var stepLimit = ProcessInfo.processInfo.environment["COURIER_BENCH_GC_STEP"].flatMap(Int.init) ?? MessageGC.Configuration(nodeKey: "bench").stepLimit

    struct Result {
        var messages: Int
        var deleted: UInt64
        var populateSeconds: Double
        var replaySeconds: Double
        var gcSeconds: Double
        var logBytesBefore: Int
        var logBytesAfter: Int
        var archiveBytesAfter: Int
        var idle: LatencySummary
        var idleSends: Int
        var during: LatencySummary
        var duringSends: Int
    }

    func run(directory: String) async throws -> Result {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let logDirectory = directory + "/log"
        var configuration = LMDBEventLog.Configuration()
        configuration.segmentSizeBytes = 64 << 20
        // As a node configures it (`COURIER_LOG_ARCHIVE_KEEP`, 30 by default; 0 deletes instead of gzipping).
        configuration.archiveKeep = ProcessInfo.processInfo.environment["COURIER_LOG_ARCHIVE_KEEP"].flatMap(Int.init) ?? 30
        let clock: @Sendable () -> Timestamp = { SystemClocks.realtime() }
        // 1. N sends, each followed by a `read` status: written straight to the log in large appends.
        let populateStart = SystemClocks.monotonicNanoseconds()
        let writer = try LMDBEventLog(directory: logDirectory, configuration: configuration, clock: clock, logger: logger)
        let perShard = messages / shards
        let body = Array("{\"body\":\"Your order has shipped\"}".utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for shard in 0..<shards {
                group.addTask {
                    var index = 0
                    while index < perShard {
                        var entries: [LogEntry] = []
                        entries.reserveCapacity(10_000)
                        while index < perShard, entries.count < 10_000 {
                            let id = "gBG\(shard)-\(index)"
                            let send = SendEvent(messageID: id, to: "1631555\(1000 + index % 9000)", type: "text", content: body)
                            let read = StatusEvent(messageID: id, waID: send.to, status: .read, networkTimestamp: .zero)
                            entries.append(LogEntry(shard: UInt16(shard), epoch: 1, kind: .send, payload: send.encoded()))
                            entries.append(LogEntry(shard: UInt16(shard), epoch: 1, kind: .status, payload: read.encoded()))
                            index += 1
                        }
                        _ = try await writer.append(entries)
                    }
                }
            }
            try await group.waitForAll()
        }
        await writer.close()
        let populateSeconds = Self.seconds(since: populateStart)

        // 2. A node's shards over that log: replay, then sends without GC, then sends during GC.
        let log = try LMDBEventLog(directory: logDirectory, configuration: configuration, clock: clock, logger: logger)
        var shardConfiguration = ShardActor.Configuration()
        shardConfiguration.snapshots = SnapshotStore(directory: directory + "/snapshots")
        shardConfiguration.snapshotEveryEvents = 100_000_000  // only GC's snapshots, so the figures are GC's
        let directoryOfShards = ShardDirectory(
            shardCount: shards, log: log, epoch: 1, configuration: shardConfiguration, logger: logger)
        let replayStart = SystemClocks.monotonicNanoseconds()
        _ = try await directoryOfShards.replayAll()
        let replaySeconds = Self.seconds(since: replayStart)
        var gcConfiguration = MessageGC.Configuration(nodeKey: "bench")
        gcConfiguration.stepLimit = stepLimit
        let gc = MessageGC(shards: directoryOfShards, log: log, configuration: gcConfiguration, logger: logger)
        let logBytesBefore = Self.bytes(in: logDirectory, excluding: "archive")

        let idle = try await sends(directoryOfShards, label: "idle", until: { $0 >= 2.0 })
        let gcStart = SystemClocks.monotonicNanoseconds()
        await gc.start()
        let running = Atomic<Bool>(true)
        async let result = { () async -> MessageGC.RunResult? in
            let result = await gc.waitForCompletion()
            running.store(false, ordering: .releasing)
            return result
        }()
        let during = try await sends(directoryOfShards, label: "gc", until: { _ in !running.load(ordering: .acquiring) })
        guard let outcome = await result, outcome.status == "complete" else {
            throw BenchFailure("message GC did not complete: \(await gc.lastResult?.error ?? "no result")")
        }
        let gcSeconds = Self.seconds(since: gcStart)
        let after = Self.bytes(in: logDirectory, excluding: "archive")
        let archive = Self.bytes(in: logDirectory + "/archive", excluding: nil)
        await log.close()
        return Result(
            messages: perShard * shards, deleted: outcome.messagesDeleted, populateSeconds: populateSeconds,
            replaySeconds: replaySeconds, gcSeconds: gcSeconds, logBytesBefore: logBytesBefore, logBytesAfter: after,
            archiveBytesAfter: archive, idle: LatencySummary(idle.latencies), idleSends: idle.latencies.count,
            during: LatencySummary(during.latencies), duringSends: during.latencies.count)
    }

    /// `senders` concurrent senders, each send awaited (durable) before the next, until `stop` says so.
    private func sends(_ shards: ShardDirectory, label: String, until stop: @escaping @Sendable (Double) -> Bool) async throws
        -> (latencies: [UInt64], seconds: Double)
    {
        let start = SystemClocks.monotonicNanoseconds()
        let body = Array("{\"body\":\"hello\"}".utf8)
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var samples: [UInt64] = []
                    var index = 0
                    while !stop(Self.seconds(since: start)) || samples.isEmpty {
                        let to = "4477009\(String(10_000 + sender * 1000 + index % 1000))"
                        let sendStart = SystemClocks.monotonicNanoseconds()
                        _ = try await shards.actor(for: to).send(
                            SendRequest(messageID: "\(label)-\(sender)-\(index)", to: to, type: "text", content: body))
                        samples.append(SystemClocks.monotonicNanoseconds() - sendStart)
                        index += 1
                    }
                    return samples
                }
            }
            var all: [UInt64] = []
            for try await samples in group { all += samples }
            return all
        }
        return (latencies, Self.seconds(since: start))
    }

    static func seconds(since start: UInt64) -> Double { Double(SystemClocks.monotonicNanoseconds() - start) / 1e9 }

    /// Bytes of the files directly in `path` (not in subfolders).
    static func bytes(in path: String, excluding folder: String?) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []  // absent: 0 bytes
        return names.filter { $0 != folder }.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)  // vanished: 0
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension GCBenchmark.Result {
    func render() -> String {
        func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        func ms(_ nanoseconds: UInt64) -> String { String(format: "%.2f ms", Double(nanoseconds) / 1e6) }
        let ratio = Double(during.p99Nanoseconds) / Double(max(idle.p99Nanoseconds, 1))
        return """
            message GC: \(messages) terminal messages (send + read status each), \(deleted) deleted in one call
              populate \(String(format: "%.1f", populateSeconds)) s, replay \(String(format: "%.1f", replaySeconds)) s
              gc: \(String(format: "%.2f", gcSeconds)) s (goal for 10 M: < 60 s; \(String(format: "%.0f", Double(deleted) / gcSeconds)) messages/s)
              log: \(mib(logBytesBefore)) before, \(mib(logBytesAfter)) after (archive \(mib(archiveBytesAfter)))
              send p99: \(ms(idle.p99Nanoseconds)) without GC (\(idleSends) sends), \(ms(during.p99Nanoseconds)) during GC (\(duringSends) sends): \(String(format: "%.2f", ratio))× (goal < 2×)
            """
    }
}
