/// What to measure and where, from the command line.
struct BenchOptions {
    /// PostgreSQL's durable commits/s measured by `scripts/bench.sh` (pgbench); 0 when not measured.
    var postgresCommitsPerSecond = 0
    /// Parent of the per-run log directories; on the disk whose fsync is being compared.
    var workDirectory = "./.bench-tmp/courier"
    /// Fewer events everywhere: a smoke run, not figures to quote.
    var quick = false
    /// A PostgreSQL server (`postgres://…`, any database on it) to replicate into; nil: replication is not
    /// measured. Each measurement creates a fresh database on it and drops it at the end.
    var postgresURL: String?
    /// `--gc N`: measure only message GC of N terminal messages.
    var gcMessages: Int?
    /// `--append N`: measure only group-commit appends with N concurrent appenders.
    var appendOnly: Int?

    /// Events per group-commit run: enough that start-up and the last partial batches are noise.
    var groupCommitEvents: Int { quick ? 30_000 : 300_000 }
    /// Events for the one-fsync-per-event run: each costs a full sync, so far fewer.
    var fsyncPerEventEvents: Int { quick ? 1_000 : 3_000 }
    /// Records the replicator catches up on from a full log.
    var replicationCatchUpEvents: Int { quick ? 30_000 : 300_000 }
    /// How long appends are paced at the steady rate while replication lag is sampled.
    var replicationLagSeconds: Double { quick ? 3 : 10 }
    /// How long each ack-mode run (local, replicated) appends.
    var ackModeSeconds: Double { quick ? 2 : 10 }

    static let usage = """
        usage: courier-bench [--pg-commits-per-second N] [--pg-url URL] [--work-dir DIR] [--quick]
          --pg-commits-per-second N  PostgreSQL baseline from pgbench (default 0: not measured)
          --pg-url URL               PostgreSQL server to replicate into (postgres://…); it gets a fresh
                                     database per measurement (default: replication not measured)
          --work-dir DIR             where the per-run logs go (default ./.bench-tmp/courier)
          --quick                    smaller runs, for a smoke test
          --gc N                     only message GC: N terminal messages collected in one call, with
                                     send p99 without and during GC
          --append N                 only durable group-commit appends with N concurrent appenders
        """

    /// Parses `arguments` (without the program name); throws a message for the user on bad input.
    static func parse(_ arguments: [String]) throws(UsageError) -> BenchOptions {
        var options = BenchOptions()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--pg-commits-per-second":
                let text = try value(of: argument, from: &remaining)
                guard let rate = Int(text), rate >= 0 else {
                    throw UsageError("--pg-commits-per-second wants a whole number ≥ 0, got '\(text)'")
                }
                options.postgresCommitsPerSecond = rate
            case "--pg-url":
                let url = try value(of: argument, from: &remaining)
                guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                    throw UsageError("--pg-url wants a postgres:// URL, got '\(BenchDatabaseServer.redacted(url))'")
                }
                options.postgresURL = url
            case "--work-dir":
                options.workDirectory = try value(of: argument, from: &remaining)
            case "--gc":
                let text = try value(of: argument, from: &remaining)
                guard let count = Int(text), count >= 4 else { throw UsageError("--gc wants a whole number ≥ 4, got '\(text)'") }
                options.gcMessages = count
            case "--append":
                let text = try value(of: argument, from: &remaining)
                guard let count = Int(text), count >= 1 else { throw UsageError("--append wants a whole number ≥ 1, got '\(text)'") }
                options.appendOnly = count
            case "--quick":
                options.quick = true
            case "-h", "--help":
                throw UsageError(nil)
            default:
                throw UsageError("unknown argument '\(argument)'")
            }
        }
        return options
    }

    private static func value(of flag: String, from remaining: inout ArraySlice<String>) throws(UsageError) -> String {
        guard let value = remaining.popFirst() else { throw UsageError("\(flag) needs a value") }
        return value
    }
}

/// Bad command line; a nil message means help was asked for.
struct UsageError: Error {
    var message: String?
    init(_ message: String?) { self.message = message }
}
