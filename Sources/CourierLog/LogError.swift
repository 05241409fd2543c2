/// Every failure of the event log, with a message for the operator (never a payload).
public struct LogError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The data directory is missing or not Courier's.
        public static let notADataDirectory = Code(name: "notADataDirectory")
        /// A record or manifest failed its checks.
        public static let corrupted = Code(name: "corrupted")
        /// An LMDB call failed (see the message).
        public static let storage = Code(name: "storage")
        /// The disk is full or below the free-space floor.
        public static let diskFull = Code(name: "diskFull")
        /// The payload exceeds 1 MiB.
        public static let payloadTooLarge = Code(name: "payloadTooLarge")
        /// The log has been closed.
        public static let closed = Code(name: "closed")
        /// A log written by a newer Courier.
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

    public static func == (lhs: LogError, rhs: LogError) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
