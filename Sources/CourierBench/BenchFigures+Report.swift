/// The goals the figures are judged by (eventlog.md §5, and the PostgreSQL comparison).
enum Goals {
    static let groupCommitEventsPerSecond = 100_000.0
    static let groupCommitOverFsyncPerEvent = 100.0
    static let groupCommitOverPostgres = 3.0
    static let replayRecordsPerSecond = 500_000.0
    /// eventlog.md §6: replication ≥ 100 000 records/s; lag < 1 s at 20 000 sends/s.
    static let replicationRecordsPerSecond = 100_000.0
    static let replicationLagSeconds = 1.0
    /// cluster.md §4: at most 4 PostgreSQL connections per node.
    static let nodeConnections = 4
}

extension BenchFigures {
    func report(postgresCommitsPerSecond: Int) -> BenchReport {
        var report = BenchReport()
        report.section("durable appends (LMDB log, one event per append)", appendRows())
        report.section(
            "replay (\(Format.count(Double(replayRecordCount))) records, 4 shards, page cache warm)",
            replayRows()
        )
        report.section("ratios", ratioRows(postgresCommitsPerSecond: postgresCommitsPerSecond))
        if let replication {
            report.section(replication.title, replication.rows())
            report.notes.append(
                "replication lag (status) is the replicator's own figure, computed after each of its passes; "
                    + "(at sampling) is now − the oldest record past that watermark, every 100 ms: an upper bound")
            report.notes.append(
                "local ack = after the LMDB commit, replicated ack = after PostgreSQL's commit too; both with the "
                    + "replicator shipping, and PostgreSQL (\(replication.server)) on this machine's CPUs and disk")
        }
        // Little's law: each appender has one event in flight, so a commit holds at most `appenders`.
        report.notes.append(
            "with 64 appenders a commit holds at most 64 events, so group commit (64) / one fsync per event stays "
                + "under 64× unless a one-event commit is slower than a 64-event one"
        )
        return report
    }

    private var replayRecordCount: Int { replay[.records]?.records ?? 0 }

    private func appendRows() -> [BenchReport.Row] {
        Self.rows("group commit, 64 appenders", groupCommit64, goal: Goals.groupCommitEventsPerSecond)
            + Self.rows("group commit, 1024 appenders", groupCommit1024)
            + Self.rows("one fsync per event, 64 appenders", fsyncPerEvent)
    }

    /// A run's throughput (judged against `goal` events/s if given), its latencies, and its batch size.
    private static func rows(_ name: String, _ result: AppendBenchmark.Result, goal: Double? = nil) -> [BenchReport.Row]
    {
        let latency = result.latency
        return [
            BenchReport.Row(
                measure: name,
                figure: "\(Format.count(result.eventsPerSecond)) events/s",
                goal: goal.map { ">= \(Format.count($0))/s" } ?? "",
                met: goal.map { result.eventsPerSecond >= $0 }
            ),
            BenchReport.Row(
                measure: "  ack latency p50 / p99 / max",
                figure: [latency.p50Nanoseconds, latency.p99Nanoseconds, latency.maximumNanoseconds]
                    .map(Format.milliseconds).joined(separator: " / ") + " ms"
            ),
            BenchReport.Row(
                measure: "  events per commit (avg, \(Format.count(Double(result.commits))) commits)",
                figure: Format.decimal(result.averageBatchEvents, places: 1)
            ),
        ]
    }

    private func replayRows() -> [BenchReport.Row] {
        var rows = [
            BenchReport.Row(
                measure: "reopen log (scan newest segment)",
                figure: "\(Format.milliseconds(UInt64(reopenSeconds * 1e9))) ms"
            )
        ]
        for depth in ReplayBenchmark.Depth.allCases {
            guard let result = replay[depth] else { continue }
            let judged = depth == .shardState
            rows.append(
                BenchReport.Row(
                    measure: depth.label,
                    figure: "\(Format.count(result.recordsPerSecond)) records/s",
                    goal: judged ? ">= \(Format.count(Goals.replayRecordsPerSecond))/s" : "",
                    met: judged ? result.recordsPerSecond >= Goals.replayRecordsPerSecond : nil
                )
            )
        }
        return rows
    }

    private func ratioRows(postgresCommitsPerSecond: Int) -> [BenchReport.Row] {
        let group = groupCommit64.eventsPerSecond
        let overFsync = group / fsyncPerEvent.eventsPerSecond
        var rows = [
            BenchReport.Row(
                measure: "group commit (64) / one fsync per event",
                figure: Format.ratio(overFsync),
                goal: ">= \(Format.ratio(Goals.groupCommitOverFsyncPerEvent))",
                met: overFsync >= Goals.groupCommitOverFsyncPerEvent
            )
        ]
        rows.append(
            BenchReport.Row(
                measure: "group commit (1024) / one fsync per event",
                figure: Format.ratio(groupCommit1024.eventsPerSecond / fsyncPerEvent.eventsPerSecond)
            )
        )
        if postgresCommitsPerSecond > 0 {
            let overPostgres = group / Double(postgresCommitsPerSecond)
            rows.append(
                BenchReport.Row(
                    measure:
                        "group commit (64) / PostgreSQL (\(Format.count(Double(postgresCommitsPerSecond))) commits/s)",
                    figure: Format.ratio(overPostgres),
                    goal: ">= \(Format.ratio(Goals.groupCommitOverPostgres))",
                    met: overPostgres >= Goals.groupCommitOverPostgres
                )
            )
        } else {
            rows.append(
                BenchReport.Row(
                    measure: "group commit (64) / PostgreSQL",
                    figure: "not measured",
                    goal: ">= \(Format.ratio(Goals.groupCommitOverPostgres))"
                )
            )
        }
        if let fold = replay[.shardState] {
            let overGoal = fold.recordsPerSecond / Goals.replayRecordsPerSecond
            rows.append(
                BenchReport.Row(
                    measure: "replay into ShardState / 500,000 per s",
                    figure: Format.ratio(overGoal),
                    goal: ">= \(Format.ratio(1))",
                    met: overGoal >= 1
                )
            )
        }
        return rows
    }
}
