import CourierLogging
import Foundation
import Logging
import Synchronization
import Testing

/// A throwaway log directory and a clock that moves one second per reading, so archive names differ.
struct LogDirectoryFixture {
    let directory: String
    let clock: LogClock

    init(startSeconds: Int = 1_700_000_000, stepSeconds: Int = 1) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("courier-logging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        directory = url.path + "/logs"
        let seconds = Mutex(startSeconds)
        clock = LogClock {
            seconds.withLock { value in
                defer { value += stepSeconds }
                return LogClock.Instant(seconds: value, nanoseconds: 123_000_000)
            }
        }
    }

    func configuration(
        webBytes: Int = 20_000_000,
        coreBytes: Int = 15_000_000,
        keep: Int = 30,
        format: ApplicationLogs.Format = .text
    ) -> ApplicationLogs.Configuration {
        var configuration = ApplicationLogs.Configuration(directory: directory)
        configuration.web = .init(rotateAboveBytes: webBytes, keep: keep)
        configuration.core = .init(rotateAboveBytes: coreBytes, keep: keep)
        configuration.format = format
        configuration.minimumLevel = .trace
        configuration.alsoStandardError = false
        return configuration
    }

    func open(_ role: ApplicationLogs.Role, _ configuration: ApplicationLogs.Configuration) throws -> ApplicationLogs {
        try ApplicationLogs(role: role, configuration: configuration, clock: clock)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent)
    }

    /// Lines of a plain file in the log directory (empty when missing).
    func lines(_ name: String) throws -> [String] {
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return Self.split(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Archive file names of `name`, oldest first.
    func archives(_ name: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory + "/archive")
            .filter { $0.hasPrefix(name + ".") }
            .sorted()
    }

    /// Lines of an archive, decompressed by the system's `gzip -dc` so the file is checked as real gzip.
    func archiveLines(_ fileName: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", directory + "/archive/" + fileName]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "gzip -dc \(fileName) failed")
        return Self.split(data)
    }

    /// Every line of `name`: its archives oldest first, then the current file.
    func allLines(_ name: String) throws -> [String] {
        try archives(name).flatMap { try archiveLines($0) } + lines(name)
    }

    /// Splits on `\n`; the data must end with one, so a torn last line shows up.
    private static func split(_ data: Data) -> [String] {
        guard !data.isEmpty else { return [] }
        #expect(data.last == UInt8(ascii: "\n"), "file does not end with a whole line")
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }
}

extension ApplicationLogs {
    func logger(_ label: String) -> Logger {
        Logger(label: label, factory: makeHandler(label:))
    }
}
