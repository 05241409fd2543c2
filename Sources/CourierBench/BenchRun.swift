import CourierLog

/// Every measurement of one run, taken in sequence on the same disk, each in a fresh log directory.
struct BenchFigures {
    var groupCommit64: AppendBenchmark.Result
    var groupCommit1024: AppendBenchmark.Result
    var fsyncPerEvent: AppendBenchmark.Result
    /// Opening the group-commit log again: what a restarting node pays before replay.
    var reopenSeconds: Double
    var replay: ReplayResults
    /// nil without `--pg-url`.
    var replication: ReplicationFigures?

    typealias ReplayResults = [ReplayBenchmark.Depth: ReplayBenchmark.Result]
}

enum BenchRun {
    static func measure(options: BenchOptions, in run: RunDirectory) async throws -> BenchFigures {
        let groupDirectory = run.logDirectory("group-commit-64")
        let group64 = try await append(
            AppendBenchmark(name: "group commit, 64 appenders", appenders: 64, events: options.groupCommitEvents),
            directory: groupDirectory
        )
        let group1024 = try await append(
            AppendBenchmark(name: "group commit, 1024 appenders", appenders: 1024, events: options.groupCommitEvents),
            directory: run.logDirectory("group-commit-1024")
        )
        let fsync = try await append(
            fsyncPerEventBenchmark(events: options.fsyncPerEventEvents),
            directory: run.logDirectory("fsync-per-event")
        )
        let (reopenSeconds, replay) = try await replayAll(directory: groupDirectory)
        let replication = try await measureReplication(options: options, in: run)
        return BenchFigures(
            groupCommit64: group64,
            groupCommit1024: group1024,
            fsyncPerEvent: fsync,
            reopenSeconds: reopenSeconds,
            replay: replay,
            replication: replication
        )
    }

    /// Last, so that the PostgreSQL server's work does not share the disk with the log figures above.
    private static func measureReplication(options: BenchOptions, in run: RunDirectory) async throws
        -> ReplicationFigures?
    {
        guard let url = options.postgresURL else {
            printError("courier-bench: replication: not measured (no --pg-url)")
            return nil
        }
        let server = BenchDatabaseServer(url: url)
        let figures: ReplicationFigures
        do {
            figures = try await ReplicationFigures.measure(options: options, server: server, in: run)
        } catch {
            await server.dropAll()
            throw error
        }
        await server.dropAll()
        return figures
    }

    /// The baseline: a batch limit of one event makes the same writer commit and sync every event.
    private static func fsyncPerEventBenchmark(events: Int) -> AppendBenchmark {
        var benchmark = AppendBenchmark(name: "one fsync per event, 64 appenders", appenders: 64, events: events)
        benchmark.configuration.maximumBatchEvents = 1
        return benchmark
    }

    private static func append(_ benchmark: AppendBenchmark, directory: String) async throws -> AppendBenchmark.Result {
        printError("courier-bench: \(benchmark.name), \(Format.count(Double(benchmark.events))) events …")
        let result = try await benchmark.run(directory: directory)
        printError("courier-bench:   \(Format.count(result.eventsPerSecond)) events/s")
        return result
    }

    /// Reopens the group-commit log as a restarting node does (its idle writer thread costs nothing)
    /// and replays it at each depth.
    private static func replayAll(directory: String) async throws -> (Double, BenchFigures.ReplayResults) {
        printError("courier-bench: replay …")
        let start = SystemClocks.monotonicNanoseconds()
        let log = try LMDBEventLog(
            directory: directory,
            clock: SystemClocks.realtime,
            logger: AppendBenchmark.silentLogger
        )
        let reopenSeconds = Double(SystemClocks.monotonicNanoseconds() - start) / 1e9
        var results: BenchFigures.ReplayResults = [:]
        do {
            for depth in ReplayBenchmark.Depth.allCases {
                results[depth] = try ReplayBenchmark.run(log: log, depth: depth)
            }
        } catch {
            await log.close()
            throw error
        }
        await log.close()
        return (reopenSeconds, results)
    }
}
