import Foundation

/// This run's scratch space under the work directory: one fresh log directory per measurement,
/// all removed at the end so repeated runs neither fill the disk nor reopen an old log.
struct RunDirectory {
    let path: String

    /// Creates `<work dir>/run-<pid>`; the pid keeps concurrent runs apart.
    init(workDirectory: String) throws {
        path = URL(fileURLWithPath: workDirectory).appendingPathComponent("run-\(getpid())").path
        // A leftover from a killed run with a recycled pid would be reopened as a log, not measured fresh.
        try? FileManager.default.removeItem(atPath: path)  // absent is the normal case
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A directory for one measurement's log; the log creates it.
    func logDirectory(_ name: String) -> String {
        URL(fileURLWithPath: path).appendingPathComponent(name).path
    }

    func remove() {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            printError("courier-bench: could not remove \(path): \(error)")
        }
    }
}

/// One line on stderr: progress and problems, so stdout carries only the figures.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
