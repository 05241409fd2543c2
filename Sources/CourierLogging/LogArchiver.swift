import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compresses rotated files into the archive folder on one background queue and deletes the oldest archives.
///
/// A rotated file stays in the log directory until its archive is complete: zlib writes `<archive>.gz.tmp`,
/// which is synced and renamed to `.gz` before the plain file is deleted. A process that dies in between
/// leaves the plain file (archived again by ``recover(name:keep:)`` at the next start) and at most a
/// `.gz.tmp` (deleted then).
final class LogArchiver: Sendable {
    let logDirectory: String
    let archiveDirectory: String
    private let queue = DispatchQueue(label: "courier.logs.archive")

    init(logDirectory: String) {
        self.logDirectory = logDirectory
        self.archiveDirectory = logDirectory + "/archive"
    }

    /// Archives `<name>.<archive suffix>` from the log directory later, then keeps the newest `keep`.
    func enqueue(name: String, archive: ArchiveName, keep: Int) {
        queue.async { self.archive(name: name, archive: archive, keep: keep) }
    }

    /// Queues the rotated files a previous process left behind and deletes its partial archives.
    func recover(name: String, keep: Int) {
        for fileName in Posix.listDirectory(archiveDirectory)
        where fileName.hasSuffix(".gz.tmp") && ArchiveName.parse(fileName, name: name, extension: ".gz.tmp") != nil {
            unlink(archiveDirectory + "/" + fileName)
        }
        let leftovers = Posix.listDirectory(logDirectory).compactMap { ArchiveName.parse($0, name: name) }
        for archive in leftovers.sorted() {
            enqueue(name: name, archive: archive, keep: keep)
        }
        queue.async { self.prune(name: name, keep: keep) }
    }

    /// The newest name of `name` among rotated files not yet archived and archives.
    func newestArchiveName(name: String) -> ArchiveName? {
        let rotated = Posix.listDirectory(logDirectory).compactMap { ArchiveName.parse($0, name: name) }
        let archived = Posix.listDirectory(archiveDirectory).compactMap {
            ArchiveName.parse($0, name: name, extension: ".gz")
        }
        return (rotated + archived).max()
    }

    /// Returns when everything queued so far is done (tests, shutdown).
    func waitUntilIdle() {
        queue.sync {}
    }

    private func archive(name: String, archive: ArchiveName, keep: Int) {
        let plain = logDirectory + "/" + archive.fileName(name)
        guard keep > 0 else {
            unlink(plain)
            return
        }
        let final = archiveDirectory + "/" + archive.fileName(name, extension: ".gz")
        let temporary = final + ".tmp"
        do {
            try Gzip.compress(plain, to: temporary)
            guard rename(temporary, final) == 0 else {
                throw ApplicationLogError(.archive, "cannot rename \(temporary): \(Posix.errorText(errno))")
            }
            Posix.syncDirectory(archiveDirectory)
            unlink(plain)
        } catch {
            // The plain file stays for the next start to archive; the logging system cannot log about itself.
            unlink(temporary)
            StandardError.write("courier: log archive failed: \(error)")
        }
        prune(name: name, keep: keep)
    }

    /// Deletes the oldest archives of `name` beyond `keep`.
    private func prune(name: String, keep: Int) {
        let archives = Posix.listDirectory(archiveDirectory)
            .compactMap { ArchiveName.parse($0, name: name, extension: ".gz") }
            .sorted()
        for archive in archives.dropLast(keep) {
            unlink(archiveDirectory + "/" + archive.fileName(name, extension: ".gz"))
        }
    }
}

/// Lines for file descriptor 2, each in one `write(2)`.
enum StandardError {
    static func write(_ message: String) {
        write(Array((message + "\n").utf8))
    }

    static func write(_ line: [UInt8]) {
        line.withUnsafeBytes { _ = Posix.writeAll(2, $0) }
    }
}
