/// The replication figures of one run, all against the same PostgreSQL server (`--pg-url`).
struct ReplicationFigures {
    var server: String
    var catchUp: ReplicationCatchUp.Result
    var lag: ReplicationLag.Result
    var lagRate: Double
    var lagAppenders: Int
    var local: AckModeRun.Result
    var replicated: AckModeRun.Result
    var ackAppenders: Int

    /// Catch-up, lag, then both ack modes, each with a fresh log and a fresh database on `server`.
    static func measure(options: BenchOptions, server: BenchDatabaseServer, in run: RunDirectory) async throws
        -> ReplicationFigures
    {
        let catchUp = ReplicationCatchUp(events: options.replicationCatchUpEvents)
        printError("courier-bench: replication catch-up, \(Format.count(Double(catchUp.events))) records …")
        let caughtUp = try await catchUp.run(directory: run.logDirectory("replication-catch-up"), server: server)
        printError("courier-bench:   \(Format.count(caughtUp.recordsPerSecond)) records/s")

        let lag = ReplicationLag(seconds: options.replicationLagSeconds)
        printError(
            "courier-bench: replication lag, \(Format.count(lag.rate)) events/s for \(Format.count(lag.seconds)) s …")
        let lagged = try await lag.run(directory: run.logDirectory("replication-lag"), server: server)
        let worst = Format.decimal(lagged.samples.map(\.statusSeconds).max() ?? 0, places: 3)
        printError("courier-bench:   \(Format.count(lagged.eventsPerSecond)) events/s, lag max \(worst) s")

        let ackAppenders = 64
        var results: [AckModeRun.Mode: AckModeRun.Result] = [:]
        for mode in [AckModeRun.Mode.local, .replicated] {
            let ackRun = AckModeRun(mode: mode, appenders: ackAppenders, seconds: options.ackModeSeconds)
            printError(
                "courier-bench: \(mode.rawValue) ack, \(ackAppenders) appenders, \(Format.count(ackRun.seconds)) s …")
            let result = try await ackRun.run(directory: run.logDirectory("ack-\(mode.rawValue)"), server: server)
            printError("courier-bench:   \(Format.count(result.acksPerSecond)) acks/s")
            results[mode] = result
        }
        return ReplicationFigures(
            server: server.displayName, catchUp: caughtUp, lag: lagged, lagRate: lag.rate, lagAppenders: lag.appenders,
            local: results[.local]!, replicated: results[.replicated]!, ackAppenders: ackAppenders)
    }

    var title: String { "replication to PostgreSQL (a fresh database per run)" }

    func rows() -> [BenchReport.Row] {
        var rows: [BenchReport.Row] = []
        let records = Format.count(Double(catchUp.records))
        rows.append(
            BenchReport.Row(
                measure: "catch-up from a full log: \(records) records, \(ReplicationBenchmark.shardCount) shards",
                figure: "\(Format.count(catchUp.recordsPerSecond)) records/s",
                goal: ">= \(Format.count(Goals.replicationRecordsPerSecond))/s",
                met: catchUp.recordsPerSecond >= Goals.replicationRecordsPerSecond
            ))
        rows.append(
            BenchReport.Row(
                measure: "  transactions (avg records each)",
                figure: Self.transactions(catchUp.batches, records: catchUp.records)
            ))
        rows.append(
            BenchReport.Row(
                measure: "  messages projection caught up too (events + projection)",
                figure: "\(Format.count(catchUp.projectedPerSecond)) records/s"
            ))

        rows.append(
            BenchReport.Row(
                measure: "paced \(Format.count(lagRate))/s, \(Format.count(Double(lagAppenders))) appenders: achieved",
                figure:
                    "\(Format.count(lag.eventsPerSecond)) events/s over \(Format.decimal(lag.appendSeconds, places: 1)) s"
            ))
        let goal = "< \(Format.decimal(Goals.replicationLagSeconds, places: 0)) s (max)"
        let status = Percentiles(lag.samples.map(\.statusSeconds))
        rows.append(
            BenchReport.Row(
                measure: "  lag (status) p50 / p99 / max",
                figure: status.seconds, goal: goal, met: status.maximum < Goals.replicationLagSeconds
            ))
        let observed = Percentiles(lag.samples.map(\.observedSeconds))
        rows.append(
            BenchReport.Row(
                measure: "  lag (at sampling) p50 / p99 / max",
                figure: observed.seconds, goal: goal, met: observed.maximum < Goals.replicationLagSeconds
            ))
        let events = Percentiles(lag.samples.map(\.statusEvents))
        rows.append(
            BenchReport.Row(
                measure: "  lag events (all streams) p50 / p99 / max",
                figure: [events.p50, events.p99, events.maximum].map(Format.count).joined(separator: " / ")
            ))
        rows.append(
            BenchReport.Row(
                measure: "  caught up after the last append",
                figure: "\(Format.decimal(lag.drainSeconds, places: 3)) s"
            ))
        rows.append(
            BenchReport.Row(
                measure: "  transactions (avg records each)",
                figure: Self.transactions(lag.batches, records: lag.events)
            ))
        rows.append(
            BenchReport.Row(
                measure: "  PostgreSQL connections used (max)",
                figure: "\(lag.connections)",
                goal: "<= \(Goals.nodeConnections) per node",
                met: lag.connections <= Goals.nodeConnections
            ))

        rows += ackRows("local ack", local)
        rows += ackRows("replicated ack", replicated)
        if replicated.failures > 0 {
            rows.append(
                BenchReport.Row(measure: "  not acked within 5 s", figure: Format.count(Double(replicated.failures))))
        }
        rows.append(
            BenchReport.Row(
                measure: "replicated ack / local ack",
                figure: Format.ratio(replicated.acksPerSecond / local.acksPerSecond)
            ))
        return rows
    }

    /// "32 (9,375)": transactions, and records in each on average.
    private static func transactions(_ batches: UInt64, records: Int) -> String {
        let average = Double(records) / Double(max(batches, 1))
        let each = average < 100 ? Format.decimal(average, places: 1) : Format.count(average)
        return "\(Format.count(Double(batches))) (\(each))"
    }

    private func ackRows(_ name: String, _ result: AckModeRun.Result) -> [BenchReport.Row] {
        let latency = result.latency
        return [
            BenchReport.Row(
                measure: "\(name), \(ackAppenders) appenders",
                figure: "\(Format.count(result.acksPerSecond)) acks/s"
            ),
            BenchReport.Row(
                measure: "  ack latency p50 / p99 / max",
                figure: [latency.p50Nanoseconds, latency.p99Nanoseconds, latency.maximumNanoseconds]
                    .map(Format.milliseconds).joined(separator: " / ") + " ms"
            ),
        ]
    }
}

/// Nearest-rank percentiles of samples that are not latencies (lag seconds, lag events).
struct Percentiles {
    var p50: Double
    var p99: Double
    var maximum: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        func rank(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[max(Int((fraction * Double(sorted.count)).rounded(.up)), 1) - 1]
        }
        p50 = rank(0.5)
        p99 = rank(0.99)
        maximum = sorted.last ?? 0
    }

    /// "0.012 / 0.045 / 0.060 s".
    var seconds: String {
        [p50, p99, maximum].map { Format.decimal($0, places: 3) }.joined(separator: " / ") + " s"
    }
}
