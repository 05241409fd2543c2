import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open log file shared by every handler that writes it: a descriptor, its size, a lock.
///
/// Under the lock a write is one `write(2)` of a whole line, plus a rename and an open when that line would
/// take the file above its limit; compression happens later on the archiver's queue. A line is never split:
/// the file rotates before the line, and a line longer than the limit goes alone into a fresh file.
final class LogFile: Sendable {
    let name: String
    let path: String
    let rotation: ApplicationLogs.Rotation
    private let archiver: LogArchiver
    private let clock: LogClock
    private let state: Mutex<State>

    private struct State {
        /// -1 once closed.
        var descriptor: Int32
        var sizeBytes: Int
        /// The newest rotated name, here or in the archive folder.
        var lastArchive: ArchiveName?
        /// Failures reported on stderr and not yet followed by a success, so a full disk is one line, not one per write.
        var failing: Set<Failure> = []
    }

    private enum Failure: Hashable {
        case write, rotate, reopen
    }

    init(
        name: String,
        rotation: ApplicationLogs.Rotation,
        archiver: LogArchiver,
        clock: LogClock
    )
        throws(ApplicationLogError)
    {
        self.name = name
        self.path = archiver.logDirectory + "/" + name
        self.rotation = rotation
        self.archiver = archiver
        self.clock = clock
        let descriptor = Posix.openForAppending(path)
        guard descriptor >= 0 else {
            throw ApplicationLogError(.open, "cannot open log file \(path): \(Posix.errorText(errno))")
        }
        state = Mutex(
            State(
                descriptor: descriptor,
                sizeBytes: Posix.fileSize(descriptor),
                lastArchive: archiver.newestArchiveName(name: name)
            )
        )
        archiver.recover(name: name, keep: rotation.keep)
    }

    deinit {
        close()
    }

    /// Appends `line`, which ends in `\n`, rotating first when it would not fit.
    func write(_ line: [UInt8]) {
        state.withLock { state in
            guard state.descriptor >= 0 else { return }
            if state.sizeBytes > 0 && state.sizeBytes + line.count > rotation.rotateAboveBytes {
                rotate(&state)
            }
            let written = line.withUnsafeBytes { Posix.writeAll(state.descriptor, $0) }
            if written {
                state.sizeBytes += line.count
                state.failing.remove(.write)
            } else {
                report(.write, "cannot write \(path): \(Posix.errorText(errno))", &state)
            }
        }
    }

    /// Reopens the path, as after SIGHUP when something else moved the file away; keeps the old descriptor if the
    /// path cannot be opened.
    func reopen() {
        state.withLock { state in
            guard state.descriptor >= 0 else { return }
            let descriptor = Posix.openForAppending(path)
            guard descriptor >= 0 else {
                report(.reopen, "cannot reopen \(path): \(Posix.errorText(errno))", &state)
                return
            }
            Posix.closeDescriptor(state.descriptor)
            state.descriptor = descriptor
            state.sizeBytes = Posix.fileSize(descriptor)
            state.failing.remove(.reopen)
        }
    }

    /// Closes the descriptor; later writes are dropped.
    func close() {
        state.withLock { state in
            if state.descriptor >= 0 { Posix.closeDescriptor(state.descriptor) }
            state.descriptor = -1
        }
    }

    /// Renames the file to `<name>.<stamp>`, opens a new one and queues the old one for the archive. On failure
    /// the old file stays open and keeps growing, so no line is lost.
    private func rotate(_ state: inout State) {
        let archive = nextArchiveName(&state)
        let rotatedPath = archiver.logDirectory + "/" + archive.fileName(name)
        guard rename(path, rotatedPath) == 0 else {
            report(.rotate, "cannot rotate \(path): \(Posix.errorText(errno))", &state)
            return
        }
        let descriptor = Posix.openForAppending(path)
        guard descriptor >= 0 else {
            report(.rotate, "cannot open \(path) after rotating it: \(Posix.errorText(errno))", &state)
            rename(rotatedPath, path)
            return
        }
        Posix.closeDescriptor(state.descriptor)
        state.descriptor = descriptor
        state.sizeBytes = Posix.fileSize(descriptor)
        state.failing.remove(.rotate)
        archiver.enqueue(name: name, archive: archive, keep: rotation.keep)
    }

    /// Now's stamp, or the last rotation's with the next `-n` when now is not later, so archive names sort in
    /// rotation order and pruning never takes a newer archive for an older one.
    private func nextArchiveName(_ state: inout State) -> ArchiveName {
        let stamp = clock.now().archiveStamp
        var archive = ArchiveName(stamp: stamp, collision: 0)
        if let last = state.lastArchive, stamp <= last.stamp {
            archive = ArchiveName(stamp: last.stamp, collision: last.collision + 1)
        }
        while Posix.exists(archiver.logDirectory + "/" + archive.fileName(name))
            || Posix.exists(archiver.archiveDirectory + "/" + archive.fileName(name, extension: ".gz"))
        {
            archive.collision += 1
        }
        state.lastArchive = archive
        return archive
    }

    private func report(_ failure: Failure, _ message: String, _ state: inout State) {
        guard state.failing.insert(failure).inserted else { return }
        StandardError.write("courier: \(message)")
    }
}
