import CourierCore
import CourierLog
import Logging

/// One durable-append run: many concurrent appenders, each appending one event at a time.
struct AppendBenchmark {
    /// How the progress line names the run.
    var name: String
    var appenders: Int
    var events: Int
    var configuration = LMDBEventLog.Configuration()

    struct Result {
        var events: Int
        var seconds: Double
        var latency: LatencySummary
        /// Commits the log made (`commitCount`); all of them happen before `close` returns.
        var commits: Int

        var eventsPerSecond: Double { Double(events) / seconds }
        var averageBatchEvents: Double { Double(events) / Double(max(commits, 1)) }
    }

    /// Appends into a fresh log in `directory` and closes it; the log stays on disk for replay.
    func run(directory: String) async throws -> Result {
        let log = try LMDBEventLog(
            directory: directory,
            configuration: configuration,
            clock: SystemClocks.realtime,
            logger: Self.silentLogger
        )
        let start = SystemClocks.monotonicNanoseconds()
        let latencies: [UInt64]
        do {
            latencies = try await appendConcurrently(to: log)
        } catch {
            await log.close()
            throw error
        }
        let elapsed = SystemClocks.monotonicNanoseconds() - start
        await log.close()
        precondition(latencies.count == events, "\(latencies.count) acks for \(events) events")
        return Result(
            events: events,
            seconds: Double(elapsed) / 1e9,
            latency: LatencySummary(latencies),
            commits: log.commitCount
        )
    }

    /// Runs every appender as its own task; returns every append's latency in nanoseconds.
    private func appendConcurrently(to log: LMDBEventLog) async throws -> [UInt64] {
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for appender in 0..<appenders {
                let count = Workload.share(of: events, appender: appender, appenders: appenders)
                group.addTask { try await Self.appendLoop(log: log, appender: appender, count: count) }
            }
            var all: [UInt64] = []
            all.reserveCapacity(events)
            for try await latencies in group { all += latencies }
            return all
        }
    }

    /// One appender: the next event is sent only once the previous one is durable, like a client
    /// waiting for its HTTP response. The payload is built outside the timed span.
    private static func appendLoop(log: LMDBEventLog, appender: Int, count: Int) async throws -> [UInt64] {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(count)
        for index in 0..<count {
            // A failed sibling cancels the group; stop instead of appending the rest of the share.
            try Task.checkCancellation()
            let entry = Workload.entry(appender: appender, index: index)
            let sent = SystemClocks.monotonicNanoseconds()
            _ = try await log.append(entry)
            latencies.append(SystemClocks.monotonicNanoseconds() - sent)
        }
        return latencies
    }

    /// The log logs only seals and failures; the benchmark's output is its table.
    static let silentLogger = Logger(label: "courier-bench", factory: { _ in SwiftLogNoOpLogHandler() })
}
