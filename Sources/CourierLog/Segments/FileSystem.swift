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
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LogError(.storage, "cannot create \(temporary): \(errorText())") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else {
                let message = errorText()
                close(fd)
                throw LogError(errno == ENOSPC ? .diskFull : .storage, "cannot write \(temporary): \(message)")
            }
            written += result
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
