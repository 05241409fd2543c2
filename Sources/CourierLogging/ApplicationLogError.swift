/// Every failure of the application logs, with a message for the operator.
public struct ApplicationLogError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The log directory or its archive folder cannot be created.
        public static let directory = Code(name: "directory")
        /// A log file cannot be opened for appending.
        public static let open = Code(name: "open")
        /// A rotated file cannot be compressed into the archive folder.
        public static let archive = Code(name: "archive")
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

    public static func == (lhs: ApplicationLogError, rhs: ApplicationLogError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
