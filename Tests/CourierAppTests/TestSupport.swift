import CourierApp
import CourierCore
import CourierLog
import CourierTesting
import Foundation
import Logging
import Synchronization

/// The `courier` executable `swift test` built next to the tests; a test that needs it fails loudly without it.
func courierExecutable() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [".build/debug/courier", ".build/x86_64-unknown-linux-gnu/debug/courier", ".build/aarch64-unknown-linux-gnu/debug/courier"]
    for candidate in candidates {
        let path = root.appendingPathComponent(candidate).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    throw AppError("the courier executable was not built under \(root.path)/.build; run `swift build` first")
}

/// Runs `courier` with `arguments`, returning exit code, stdout and stderr.
func runCourier(_ arguments: [String], environment: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try courierExecutable())
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Lines written by an inspector, collected for assertions.
final class Lines: Sendable {
    private let storage = Mutex<[String]>([])
    var all: [String] { storage.withLock { $0 } }
    func append(_ line: String) { storage.withLock { $0.append(line) } }
}

/// A data directory with `count` sends over `shards` streams, written through a real LMDB log.
func makeDataDirectory(sends count: Int, shards: Int = 2, segmentSizeBytes: Int = 64 << 20) async throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory("courier-data")
    let data = try DataDirectory.openOrCreate(directory.path) { "0123456789ab" }
    var configuration = LMDBEventLog.Configuration()
    configuration.segmentSizeBytes = segmentSizeBytes
    let clock = ManualClock()
    let log = try LMDBEventLog(directory: data.logPath, configuration: configuration, clock: clock.function, logger: Logger(label: "test"))
    for index in 0..<count {
        clock.advance(microseconds: 1000)
        _ = try await log.append(.testSend(shard: UInt16(index % shards), index: index))
    }
    await log.close()
    return directory
}
