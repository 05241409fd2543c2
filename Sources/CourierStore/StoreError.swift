/// Every PostgreSQL-side failure. `description` never carries SQL parameters, payloads or passwords.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The server could not be reached or the connection dropped.
        public static let connection = Code(name: "connection")
        /// A statement failed (see `sqlState`).
        public static let query = Code(name: "query")
        /// A migration failed; it was rolled back.
        public static let migration = Code(name: "migration")
        /// The database schema is newer than this binary.
        public static let schemaTooNew = Code(name: "schemaTooNew")
        /// Configuration is invalid (URL, variables).
        public static let configuration = Code(name: "configuration")
        /// A record at the same (shard, seq) has another checksum.
        public static let divergence = Code(name: "divergence")
        /// The record's epoch is not the shard's current epoch in the map.
        public static let fenced = Code(name: "fenced")
        /// The store was closed.
        public static let closed = Code(name: "closed")
    }

    public var code: Code
    public var message: String
    /// PostgreSQL's SQLSTATE, when the server sent one.
    public var sqlState: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    public var description: String { message }
}
