import ArgumentParser
import CourierApp
import Foundation

/// `courier`: parses flags and environment into configuration and calls `CourierApp`; nothing else.
@main
struct Courier: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "courier",
        abstract: "Courier: a self-hosted business-messaging broker (WhatsApp Business API On-Premises /v1 compatible).",
        subcommands: [Serve.self, LogCommand.self, Gateway.self, DB.self, Debug.self])

    /// Runs the command; every failure is one line on stderr and an exit code (2 for bad input).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as AppError {
            FileHandle.standardError.write(Data(("courier: " + error.message + "\n").utf8))
            Foundation.exit(error.exitCode)
        } catch {
            if exitCode(for: error) == .success || error is CleanExit { exit(withError: error) }
            if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data(("courier: " + message + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "PostgreSQL schema tools.", subcommands: [Upgrade.self])

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply missing schema migrations (exit 0 ok, 1 failed, 2 configuration, 3 database newer, 4 unreachable).")

        @Option(name: .customLong("db-url"), help: "PostgreSQL URL (COURIER_DB_URL), instead of WA_DB_*.")
        var dbURL: String?

        func run() async throws { try await Self.perform(dbURL: dbURL) }

        static func perform(dbURL: String?) async throws {
            let exitOnSuccess = try Environment.flag("EXIT_ON_SUCCESS", default: true)
            let database = try Environment.database(url: dbURL)
            let code = DatabaseUpgrade.run(database) { line in writeLine(line) }
            guard code == 0 else { throw ExitCode(code) }
            if !exitOnSuccess {
                // Orchestrators restart any exited container: stay up idle until SIGTERM (operations.md §1.1).
                writeLine("EXIT_ON_SUCCESS=false: staying up until SIGTERM")
                signal(SIGTERM) { _ in Foundation.exit(0) }
                signal(SIGINT) { _ in Foundation.exit(0) }
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
        }
    }
}
