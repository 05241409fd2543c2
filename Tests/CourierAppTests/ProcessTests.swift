import CourierApp
import CourierCore
import CourierLog
import CourierTesting
import Foundation
import Logging
import Testing

/// The executable as operators run it: `serve` stops cleanly on SIGTERM, `log tail -f` follows a live log.
@Suite struct ProcessTests {
    @Test func serveStopsCleanlyOnSIGTERMAndLeavesAVerifiableLog() async throws {
        let directory = try TemporaryDirectory("courier-serve")
        defer { directory.remove() }
        let errorPath = directory.path + "/stderr.log"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try courierExecutable())
        process.arguments = ["serve", "--data-dir", directory.path + "/data", "--listen", "127.0.0.1:0"]
        process.environment = ProcessInfo.processInfo.environment.merging(["COURIER_MIN_FREE_BYTES": "0"]) { $1 }
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait (bounded) until the node says it listens; then ask it to stop.
        var listening = false
        for _ in 0..<200 where !listening {
            try await Task.sleep(for: .milliseconds(50))
            listening = (try? String(contentsOfFile: errorPath, encoding: .utf8))?.contains("listening") ?? false
        }
        #expect(listening, "the node never reported listening")
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let log = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(log.contains("stopped"))
        let verify = try runCourier(["log", "verify", "--data-dir", directory.path + "/data"])
        #expect(verify.code == 0, "\(verify)")
    }

    @Test func tailFollowsNewCommitsUntilInterrupted() async throws {
        let directory = try await makeDataDirectory(sends: 3)
        defer { directory.remove() }
        let outputPath = directory.path + "/tail.out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try courierExecutable())
        process.arguments = ["log", "tail", "-f", "-n", "2", "--data-dir", directory.path]
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle.nullDevice
        try process.run()

        func lines() -> [String] {
            ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        for _ in 0..<200 where lines().count < 2 { try await Task.sleep(for: .milliseconds(25)) }
        #expect(lines().count == 2)
        // A writer appends beside the follower (another process may hold the log: LMDB allows that).
        let data = try CourierApp.DataDirectory.openExisting(directory.path)
        let log = try LMDBEventLog(directory: data.logPath, clock: { Timestamp(microseconds: 1_900_000_000_000_000) }, logger: Logger(label: "test"))
        _ = try await log.append(.testSend(shard: 5, index: 77))
        await log.close()
        for _ in 0..<200 where lines().count < 3 { try await Task.sleep(for: .milliseconds(25)) }
        #expect(lines().count == 3)
        #expect(lines().last?.hasPrefix("5:1 ") == true)
        #expect(lines().last?.contains("id=m-5-77") == true)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
