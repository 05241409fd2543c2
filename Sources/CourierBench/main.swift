// courier-bench: durable append and replay throughput of the LMDB event log on this machine's disk,
// judged against eventlog.md §5 and a PostgreSQL commit rate measured in the same run (scripts/bench.sh).
// Missed goals still exit 0: the figures are the output. Bad arguments exit 2, failures 1.
import Foundation

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    if let message = error.message {
        printError("courier-bench: \(message)\n\(BenchOptions.usage)")
        exit(2)
    }
    print(BenchOptions.usage)
    exit(0)
}

let run: RunDirectory
do {
    run = try RunDirectory(workDirectory: options.workDirectory)
} catch {
    printError("courier-bench: cannot create a run directory under \(options.workDirectory): \(error)")
    exit(2)
}

let machine = MachineInfo.summary()
if let count = options.gcMessages {
    do {
        let result = try await GCBenchmark(messages: count).run(directory: run.logDirectory("gc"))
        run.remove()
        print("courier-bench --gc: \(machine) at start")
        print(result.render())
        exit(0)
    } catch {
        run.remove()
        printError("courier-bench: \(error)")
        exit(1)
    }
}
if let appenders = options.appendOnly {
    do {
        let events = options.groupCommitEvents
        let result = try await AppendBenchmark(name: "group commit, \(appenders) appenders", appenders: appenders, events: events)
            .run(directory: run.logDirectory("append-\(appenders)"))
        run.remove()
        let ms = { (nanoseconds: UInt64) in String(format: "%.2f", Double(nanoseconds) / 1e6) }
        print("courier-bench --append \(appenders): \(machine) at start")
        print(
            "  \(Format.count(result.eventsPerSecond)) events/s, ack p50/p99/max \(ms(result.latency.p50Nanoseconds)) / "
                + "\(ms(result.latency.p99Nanoseconds)) / \(ms(result.latency.maximumNanoseconds)) ms, "
                + String(format: "%.1f events per commit", result.averageBatchEvents))
        exit(0)
    } catch {
        run.remove()
        printError("courier-bench: \(error)")
        exit(1)
    }
}
let figures: BenchFigures
do {
    figures = try await BenchRun.measure(options: options, in: run)
} catch {
    run.remove()
    printError("courier-bench: \(error)")
    exit(1)
}
run.remove()

print("courier-bench\(options.quick ? " (--quick: small runs, not figures to quote)" : ""): \(machine) at start")
print(figures.report(postgresCommitsPerSecond: options.postgresCommitsPerSecond).render())
if figures.replication == nil { print("replication: not measured (no --pg-url)") }
