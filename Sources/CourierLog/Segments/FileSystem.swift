import CCourierNative
import Foundation
import Glibc

/// The few file operations the log needs, with durability spelled out.
enum FileSystem {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LogError(.storage, "cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    static func list(_ path: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw LogError(.notADataDirectory, "cannot list \(path): \(error.localizedDescription)")
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LogError(.storage, "cannot read \(path)")
        }
        return [UInt8](data)
    }

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Writes `bytes` to `path` atomically and durably: temp file, fsync, rename, fsync the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try writeAtomically([bytes], to: path)
    }

    /// Bytes written before the writer waits for their write-back (see `writeAtomically(_:to:)`).
    static let pacingChunkBytes = 1 << 20

    /// Writes `parts` one after the other into `path` durably and atomically (temp file, fsync, rename,
    /// fsync of the directory). Large files are paced: each 1 MiB is handed to the device as it is
    /// written, the writer waits for the previous one and then rests as long as that wait took, so the
    /// device never holds a burst of tens of megabytes that every log commit's flush would queue behind,
    /// and spends at most about half its time on this file (snapshots are written beside live appends).
    static func writeAtomically(_ parts: [[UInt8]], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LogError(.storage, "cannot create \(temporary): \(errorText())") }
        var fileOffset = 0
        var flushedTo = 0
        var previousStart = 0
        for bytes in parts {
            var written = 0
            while written < bytes.count {
                let length = min(bytes.count - written, pacingChunkBytes)
                let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, length) }
                guard result > 0 else {
                    let message = errorText()
                    close(fd)
                    throw LogError(errno == ENOSPC ? .diskFull : .storage, "cannot write \(temporary): \(message)")
                }
                written += result
                fileOffset += result
                if fileOffset - flushedTo >= pacingChunkBytes {
                    // Start write-back of what was just written; wait for the chunk before it. Advisory:
                    // the fsync below is what makes the file durable.
                    _ = courier_file_start_writeback(fd, Int64(flushedTo), Int64(fileOffset - flushedTo))
                    if flushedTo > previousStart {
                        let start = ContinuousClock.now
                        _ = courier_file_wait_writeback(fd, Int64(previousStart), Int64(flushedTo - previousStart))
                        // Rest as long as the device was kept busy: at most half its time goes to this
                        // file, the rest to the log's commits.
                        let busy = ContinuousClock.now - start
                        if busy > .microseconds(50) { Thread.sleep(forTimeInterval: Double(busy.components.attoseconds) / 1e18 + Double(busy.components.seconds)) }
                    }
                    previousStart = flushedTo
                    flushedTo = fileOffset
                }
            }
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw LogError(.storage, "cannot sync \(temporary): \(errorText())")
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw LogError(.storage, "cannot rename to \(path): \(errorText())") }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw LogError(.storage, "cannot open directory \(path): \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LogError(.storage, "cannot sync directory \(path): \(errorText())") }
    }

    /// Bytes available to unprivileged writers on the filesystem holding `path`.
    static func freeBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
