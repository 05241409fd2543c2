import CourierCore
import CourierLog
import CourierStore
import Logging

/// Replication to PostgreSQL (eventlog.md §6): how fast the replicator catches up on a full log, how far
/// it lags behind a steady send rate, and what `replicated` acks cost against `local` ones. Every run
/// gets a fresh log and a fresh database; the replicator is the node's (`Replicator`), unchanged.
enum ReplicationBenchmark {
    /// The shard count the replicator records when it claims the bench's streams in the shard map.
    static let shardCount = Workload.shardCount

    /// Opens a fresh log in `directory`, runs `body`, and closes the log whatever happens.
    static func withLog<T>(directory: String, _ body: (LMDBEventLog) async throws -> T) async throws -> T {
        let log = try LMDBEventLog(
            directory: directory,
            clock: SystemClocks.realtime,
            logger: AppendBenchmark.silentLogger
        )
        let result: T
        do {
            result = try await body(log)
        } catch {
            await log.close()
            throw error
        }
        await log.close()
        return result
    }

    /// Starts a replicator from `log` into `database`, woken by every local commit when `wakeOnCommit`
    /// (as a node does), runs `body`, and stops it whatever happens. Returns `body`'s result and the
    /// status once stopped (its counters are bumped after waiters are released, so not before).
    static func withReplicator<T>(
        log: LMDBEventLog, database: DatabaseConfiguration, wakeOnCommit: Bool,
        _ body: (Replicator) async throws -> T
    ) async throws -> (T, ReplicationStatus) {
        var configuration = Replicator.Configuration(nodeKey: "courier-bench:1")
        configuration.shardCount = shardCount
        let replicator = Replicator(
            log: log, database: database, configuration: configuration, clock: SystemClocks.realtime,
            logger: replicationLogger)
        if wakeOnCommit { log.addCommitObserver { replicator.wake() } }
        replicator.start()
        let result: T
        do {
            result = try await body(replicator)
        } catch {
            await replicator.stop()
            throw error
        }
        await replicator.stop()
        return (result, replicator.status)
    }

    /// Waits until PostgreSQL holds every record `log` has now.
    static func waitCaughtUp(_ replicator: Replicator, log: LMDBEventLog, timeout: Duration) async throws {
        for stream in log.streams() {
            do {
                try await replicator.waitReplicated(shard: stream.shard, seq: stream.lastSeq, timeout: timeout)
            } catch {
                let status = replicator.status
                throw BenchError(
                    "stream \(stream.shard) was not replicated up to seq \(stream.lastSeq) within \(timeout): \(error)"
                        + (status.lastError.map { " (last replication error: \($0))" } ?? ""))
            }
        }
    }

    /// Replication problems (reconnects, divergences) go to stderr; "connected" and the like do not.
    static let replicationLogger: Logger = {
        var logger = Logger(label: "courier-bench.replication") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }()
}

// MARK: - Catch-up

/// Throughput: a log already holding `events` records over 4 shards, a freshly migrated database, and
/// the time from the replicator's start until PostgreSQL holds every stream up to its last seq.
struct ReplicationCatchUp {
    var events: Int

    struct Result {
        var records: Int
        var seconds: Double
        /// Until the `messages` projection covered every record too (it follows the events).
        var projectedSeconds: Double
        /// Transactions the replicator committed (one per stream per batch).
        var batches: UInt64
        var recordsPerSecond: Double { Double(records) / seconds }
        var projectedPerSecond: Double { Double(records) / projectedSeconds }
    }

    func run(directory: String, server: BenchDatabaseServer) async throws -> Result {
        try await ReplicationBenchmark.withLog(directory: directory) { log in
            try await fill(log)
            let database = try await server.freshDatabase()
            let start = SystemClocks.monotonicNanoseconds()
            var seconds = 0.0
            var projectedSeconds = 0.0
            let (_, status) = try await ReplicationBenchmark.withReplicator(
                log: log, database: database, wakeOnCommit: false
            ) { replicator in
                try await ReplicationBenchmark.waitCaughtUp(replicator, log: log, timeout: .seconds(600))
                seconds = Double(SystemClocks.monotonicNanoseconds() - start) / 1e9
                try await replicator.waitProjectionCaughtUp(timeout: .seconds(600))
                projectedSeconds = Double(SystemClocks.monotonicNanoseconds() - start) / 1e9
            }
            let rows = try await server.replicatedRows(database)
            guard rows.events == events, rows.messages == events else {
                throw BenchError(
                    "catch-up: PostgreSQL holds \(rows.events) events and \(rows.messages) messages, not \(events)")
            }
            return Result(records: events, seconds: seconds, projectedSeconds: projectedSeconds, batches: status.shippedBatches)
        }
    }

    /// The bench's send workload, appended in batches (the fill is not what is measured).
    private func fill(_ log: LMDBEventLog) async throws {
        let appenders = 64
        let batch = 1_000
        var next = 0
        while next < events {
            let entries = (next..<min(next + batch, events)).map { index in
                Workload.entry(appender: index % appenders, index: index / appenders)
            }
            _ = try await log.append(entries)
            next += entries.count
        }
    }
}

// MARK: - Lag at a steady rate

/// Lag: appends paced at `rate` events/s for `seconds` by many appenders (one event per append, each
/// appender on its own schedule, catching up at once when an ack came late), with the replicator
/// running and woken by every commit; its status is sampled every 100 ms.
struct ReplicationLag {
    var rate: Double = 20_000
    var seconds: Double
    var appenders = 1_000

    struct Sample {
        /// Worst stream's `lagSeconds` as the replicator last computed it (after its last pass).
        var statusSeconds: Double
        /// Sum over streams of `lagEvents`, as last computed by the replicator.
        var statusEvents: Double
        /// Worst stream's age of the oldest record past the status's watermark, computed at sampling time.
        var observedSeconds: Double
    }

    struct Result {
        var events: Int
        /// From the first scheduled append to the last ack.
        var appendSeconds: Double
        var samples: [Sample]
        /// Most connections `pg_stat_activity` showed on the bench database (sampled once a second).
        var connections: Int
        /// From the last ack until PostgreSQL held every record.
        var drainSeconds: Double
        var batches: UInt64
        var eventsPerSecond: Double { Double(events) / appendSeconds }
    }

    func run(directory: String, server: BenchDatabaseServer) async throws -> Result {
        try await ReplicationBenchmark.withLog(directory: directory) { log in
            let database = try await server.freshDatabase()
            let (result, status) = try await ReplicationBenchmark.withReplicator(
                log: log, database: database, wakeOnCommit: true
            ) { replicator in
                let start = ContinuousClock.now + .milliseconds(100)  // every appender is scheduled by then
                let end = start + .milliseconds(Int64(seconds * 1000))
                async let sampled = Self.sample(
                    log: log, replicator: replicator, server: server, database: database.displayName, start: start,
                    end: end)
                let (events, lastAck) = try await appendPaced(log: log, start: start, end: end)
                let (samples, connections) = try await sampled
                try await ReplicationBenchmark.waitCaughtUp(replicator, log: log, timeout: .seconds(120))
                let drained = ContinuousClock.now
                return Result(
                    events: events,
                    appendSeconds: Self.seconds(lastAck - start),
                    samples: samples,
                    connections: connections,
                    drainSeconds: Self.seconds(max(drained - lastAck, .zero)),
                    batches: 0
                )
            }
            var counted = result
            counted.batches = status.shippedBatches  // final only once stopped (see withReplicator)
            return counted
        }
    }

    /// Returns the events appended and when the last ack came.
    private func appendPaced(log: LMDBEventLog, start: ContinuousClock.Instant, end: ContinuousClock.Instant)
        async throws -> (Int, ContinuousClock.Instant)
    {
        let (rate, appenders) = (rate, appenders)
        return try await withThrowingTaskGroup(of: (Int, ContinuousClock.Instant).self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    try await Self.appendLoop(
                        log: log, appender: appender, appenders: appenders, rate: rate, start: start, end: end)
                }
            }
            var total = 0
            var lastAck = start
            for try await (count, last) in group {
                total += count
                lastAck = max(lastAck, last)
            }
            return (total, lastAck)
        }
    }

    /// Appender `appender` sends the global schedule's events `appender`, `appender + appenders`, …,
    /// event `i` being due at `start + i / rate`.
    private static func appendLoop(
        log: LMDBEventLog, appender: Int, appenders: Int, rate: Double, start: ContinuousClock.Instant,
        end: ContinuousClock.Instant
    ) async throws -> (Int, ContinuousClock.Instant) {
        var sent = 0
        var lastAck = start
        var slot = appender
        while true {
            let due = start + .nanoseconds(Int64((Double(slot) * 1e9 / rate).rounded()))
            guard due < end else { break }
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            _ = try await log.append(Workload.entry(appender: appender, index: sent))
            lastAck = .now
            sent += 1
            slot += appenders
        }
        return (sent, lastAck)
    }

    /// Samples the replicator's status every 100 ms from `start` to `end`, and the bench database's
    /// connections every second.
    private static func sample(
        log: LMDBEventLog, replicator: Replicator, server: BenchDatabaseServer, database: String,
        start: ContinuousClock.Instant, end: ContinuousClock.Instant
    ) async throws -> ([Sample], Int) {
        var samples: [Sample] = []
        var connections = 0
        var tick = 1
        while true {
            let due = start + .milliseconds(100 * tick)
            guard due <= end else { break }
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            samples.append(try observe(log: log, replicator: replicator))
            if tick % 10 == 5 {
                connections = max(connections, try await server.connectionCount(database: database))
            }
            tick += 1
        }
        return (samples, connections)
    }

    private static func observe(log: LMDBEventLog, replicator: Replicator) throws -> Sample {
        let status = replicator.status
        let now = SystemClocks.realtime()
        var sample = Sample(statusSeconds: 0, statusEvents: 0, observedSeconds: 0)
        for stream in status.streams.values {
            sample.statusSeconds = max(sample.statusSeconds, stream.lagSeconds)
            sample.statusEvents += Double(stream.lagEvents)
        }
        for stream in log.streams() {
            let watermark = status.streams[stream.shard]?.replicatedSeq ?? 0
            guard stream.lastSeq > watermark,
                let oldest = try log.read(shard: stream.shard, fromSeq: watermark + 1, limit: 1).first
            else { continue }
            let age = Double(now.microseconds - oldest.timestamp.microseconds) / 1e6
            sample.observedSeconds = max(sample.observedSeconds, age)
        }
        return sample
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

// MARK: - Ack modes

/// Acked appends/s with `appenders` closed-loop appenders for `seconds`, the replicator running and
/// woken by commits in both modes: `local` acks after the LMDB commit, `replicated` after PostgreSQL's
/// (`waitReplicated`, 5 s timeout, as the node's `replication_ack=replicated`).
struct AckModeRun {
    enum Mode: String {
        case local, replicated
    }

    var mode: Mode
    var appenders = 64
    var seconds: Double

    struct Result {
        var acks: Int
        /// Appends whose replication wait failed (timeout or a stopped stream): not acked.
        var failures: Int
        var seconds: Double
        var latency: LatencySummary
        var acksPerSecond: Double { Double(acks) / seconds }
    }

    func run(directory: String, server: BenchDatabaseServer) async throws -> Result {
        try await ReplicationBenchmark.withLog(directory: directory) { log in
            let database = try await server.freshDatabase()
            return try await ReplicationBenchmark.withReplicator(
                log: log, database: database, wakeOnCommit: true
            ) { replicator in
                let (mode, appenders) = (mode, appenders)
                let start = SystemClocks.monotonicNanoseconds()
                let end = start + UInt64(seconds * 1e9)
                let (latencies, failures) = try await withThrowingTaskGroup(of: ([UInt64], Int).self) { group in
                    for appender in 0..<appenders {
                        group.addTask {
                            try await Self.appendLoop(
                                log: log, replicator: replicator, mode: mode, appender: appender, end: end)
                        }
                    }
                    var all: [UInt64] = []
                    var failures = 0
                    for try await (latencies, failed) in group {
                        all += latencies
                        failures += failed
                    }
                    return (all, failures)
                }
                let elapsed = Double(SystemClocks.monotonicNanoseconds() - start) / 1e9
                guard !latencies.isEmpty else { throw BenchError("\(mode.rawValue) ack run: no append was acked") }
                return Result(
                    acks: latencies.count, failures: failures, seconds: elapsed, latency: LatencySummary(latencies))
            }.0
        }
    }

    /// One closed-loop appender: the next event goes once the previous one is acked (or failed).
    private static func appendLoop(
        log: LMDBEventLog, replicator: Replicator, mode: Mode, appender: Int, end: UInt64
    ) async throws -> ([UInt64], Int) {
        var latencies: [UInt64] = []
        var failures = 0
        var index = 0
        while SystemClocks.monotonicNanoseconds() < end {
            let entry = Workload.entry(appender: appender, index: index)
            index += 1
            let sent = SystemClocks.monotonicNanoseconds()
            let position = try await log.append(entry)
            if mode == .replicated {
                do {
                    try await replicator.waitReplicated(shard: position.shard, seq: position.seq, timeout: .seconds(5))
                } catch {
                    failures += 1
                    continue
                }
            }
            latencies.append(SystemClocks.monotonicNanoseconds() - sent)
        }
        return (latencies, failures)
    }
}
