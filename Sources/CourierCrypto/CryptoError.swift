import COpenSSL

/// Every failure of CourierCrypto, with a message for the operator (never a password, key or plaintext).
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// An OpenSSL call failed; the message carries OpenSSL's reason.
        public static let library = Code(name: "library")
        /// A backup failed authentication: wrong password, or damaged or truncated data (AES-GCM cannot tell
        /// these apart).
        public static let decryptionFailed = Code(name: "decryptionFailed")
        /// The data does not start like a Courier backup.
        public static let notABackup = Code(name: "notABackup")
        /// A backup written by a newer Courier.
        public static let unsupportedVersion = Code(name: "unsupportedVersion")
    }

    public var code: Code
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { message }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}

extension CryptoError {
    /// The error for a failed OpenSSL call, with the reason OpenSSL queued for it.
    ///
    /// Call it right after the failing call, with no `await` between: OpenSSL's error queue is per thread.
    static func openSSL(_ operation: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        let reason = OpenSSLErrorQueue.drain() ?? "no reason given"
        return CryptoError(.library, "\(operation) failed in OpenSSL: \(reason)", file: file, line: line)
    }
}

/// The one place that reads OpenSSL's per-thread error queue.
enum OpenSSLErrorQueue {
    /// Empties the calling thread's queue and returns its oldest entry, usually the root cause.
    ///
    /// Draining matters even when the reason is unused: a stale entry would be blamed on a later, unrelated call
    /// running on the same thread.
    @discardableResult
    static func drain() -> String? {
        var oldest: String?
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if oldest == nil { oldest = describe(code) }
        }
        return oldest
    }

    private static func describe(_ code: UInt) -> String {
        // 256 bytes is what ERR_error_string documents as enough for any message.
        var buffer = [CChar](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
