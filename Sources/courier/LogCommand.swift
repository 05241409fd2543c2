import ArgumentParser
import CourierApp
import CourierCore
import Foundation

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect a data directory's event log (read-only).",
        subcommands: [List.self, Dump.self, Tail.self, Verify.self, Stats.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "Data directory (COURIER_DATA_DIR), default ./data.")
        var dataDir: String?

        @Flag(help: "JSON output.")
        var json = false

        func inspector() throws -> LogInspector {
            try LogInspector(dataDirectoryPath: Environment.dataDirectory(dataDir)) { line in writeLine(line) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Streams (and segments) with their seq ranges and sizes.")
        @OptionGroup var common: Common
        @Flag(help: "Also list segments.") var segments = false
        @Flag(name: .customLong("include-archive"), help: "Include archived segments.") var includeArchive = false

        func run() async throws {
            let inspector = try common.inspector()
            var options = LogInspector.ListOptions()
            options.segments = segments
            options.includeArchive = includeArchive
            options.json = common.json
            inspector.list(options)
            await inspector.close()
        }
    }

    struct Filters: ParsableArguments {
        @Option(help: "Stream: 0–31 or control.") var shard: String?
        @Option(help: "Kinds, comma-separated (send,status,…).") var kind: String?
        @Option(name: .customLong("message-id")) var messageID: String?
        @Option(name: .customLong("wa-id")) var waID: String?

        func filter() throws -> LogInspector.RecordFilter {
            var filter = LogInspector.RecordFilter()
            filter.shard = try shard.map(LogInspector.parseStream)
            filter.kinds = try kind.map(LogInspector.parseKinds)
            filter.messageID = messageID
            filter.waID = waID
            return filter
        }
    }

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Records in (stream, seq) order.")
        @OptionGroup var common: Common
        @OptionGroup var filters: Filters
        @Option(name: .customLong("from-seq")) var fromSeq: UInt64?
        @Option(name: .customLong("to-seq")) var toSeq: UInt64?
        @Option(help: "RFC 3339 time.") var since: String?
        @Option(help: "RFC 3339 time.") var until: String?
        @Option var limit: Int?
        @Flag(help: "Print the full payload instead of a summary.") var payload = false
        @Flag(name: .customLong("include-archive")) var includeArchive = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
            if let fromSeq, let toSeq, fromSeq > toSeq { throw ValidationError("--from-seq is after --to-seq") }
        }

        func run() async throws {
            var options = LogInspector.DumpOptions()
            options.filter = try filters.filter()
            options.filter.fromSeq = fromSeq
            options.filter.toSeq = toSeq
            options.filter.since = try since.map { try LogInspector.parseTime($0, flag: "--since") }
            options.filter.until = try until.map { try LogInspector.parseTime($0, flag: "--until") }
            options.limit = limit
            options.fullPayload = payload
            options.json = common.json
            options.includeArchive = includeArchive
            let inspector = try common.inspector()
            try inspector.dump(options)
            await inspector.close()
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The last records across streams; -f follows new commits.")
        @OptionGroup var common: Common
        @OptionGroup var filters: Filters
        @Option(name: .short, help: "How many records (10).") var n = 10
        @Flag(name: .short, help: "Follow new commits until interrupted.") var f = false

        func validate() throws {
            if n < 0 { throw ValidationError("-n must not be negative") }
        }

        func run() async throws {
            var options = LogInspector.TailOptions()
            options.count = n
            options.follow = f
            options.filter = try filters.filter()
            options.json = common.json
            let inspector = try common.inspector()
            if f {
                // Interrupting a follower is how it ends: exit 0 (eventlog.md §8).
                signal(SIGINT) { _ in Foundation.exit(0) }
                signal(SIGTERM) { _ in Foundation.exit(0) }
            }
            try inspector.tail(options)
            await inspector.close()
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check checksums, seq continuity and manifests; exit 1 on a problem.")
        @OptionGroup var common: Common
        @Flag(help: "Check only manifests and tails.") var quick = false
        @Flag(name: .customLong("include-archive")) var includeArchive = false

        func run() async throws {
            let inspector = try common.inspector()
            var options = LogInspector.VerifyOptions()
            options.quick = quick
            options.includeArchive = includeArchive
            let start = Date()
            let report = try inspector.verify(options) { Date().timeIntervalSince(start) }
            await inspector.close()
            if !report.healthy { throw ExitCode(1) }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts per kind, bytes, times and rates per stream.")
        @OptionGroup var common: Common
        @Option(help: "Stream: 0–31 or control.") var shard: String?

        func run() async throws {
            var options = LogInspector.StatsOptions()
            options.shard = try shard.map(LogInspector.parseStream)
            options.json = common.json
            let inspector = try common.inspector()
            try inspector.stats(options)
            await inspector.close()
        }
    }
}
