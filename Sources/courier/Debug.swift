import ArgumentParser
import CourierApp
import Foundation

/// Tools for tests and benchmarks; hidden from help.
struct Debug: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test and benchmark helpers.", shouldDisplay: false, subcommands: [AppendLoad.self, GCLoad.self])

    /// Appends from many concurrent appenders and prints `ack <shard> <seq> <tag>` once each append is
    /// durable: the kill -9 test compares these lines with what survives.
    struct AppendLoad: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "append-load")
        @Option(name: .customLong("data-dir")) var dataDir: String
        @Option var appenders = 64
        @Option var shards = 4
        @Option(name: .customLong("per-appender")) var perAppender = 1_000_000

        func run() async throws {
            try await AppendLoadRunner.run(
                dataDirectory: dataDir, appenders: appenders, shards: shards, perAppender: perAppender
            ) { line in writeLine(line) }
        }
    }

    /// Sends, marks two in three read, and runs message GC over and over; prints `ack <id> unsent`
    /// for each durable send left unsent (GC must never collect it) and `gc <run> <status>` per run.
    struct GCLoad: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc-load")
        @Option(name: .customLong("data-dir")) var dataDir: String
        @Option var rounds = 1_000

        func run() async throws {
            try await GCLoadRunner.run(dataDirectory: dataDir, rounds: rounds) { line in writeLine(line) }
        }
    }
}
