import CZlib

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real `.gz` files through zlib's gz* functions, as `gzip -dc` reads them.
enum Gzip {
    /// Compresses `source` into `destination` (created or truncated) and syncs it to disk.
    static func compress(_ source: String, to destination: String) throws(ApplicationLogError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot read \(source): \(Posix.errorText(errno))") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard output >= 0 else { throw failure("cannot create \(destination): \(Posix.errorText(errno))") }
        defer { close(output) }
        // gzclose closes the descriptor it was given: hand it a duplicate and keep `output` for fsync.
        guard let gz = gzdopen(dup(output), "wb6") else { throw failure("zlib cannot open \(destination)") }
        var copied = true
        var buffer = [UInt8](repeating: 0, count: 128 << 10)
        while copied {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                copied = count == 0
                break
            }
            let written = buffer.withUnsafeBytes { gzwrite(gz, $0.baseAddress!, UInt32(count)) }
            copied = Int(written) == count
        }
        let closed = gzclose(gz)
        guard copied, closed == Z_OK else { throw failure("cannot compress \(source) into \(destination)") }
        guard fsync(output) == 0 else { throw failure("cannot sync \(destination): \(Posix.errorText(errno))") }
    }

    private static func failure(_ message: String) -> ApplicationLogError {
        ApplicationLogError(.archive, message)
    }
}
