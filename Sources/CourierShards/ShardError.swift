/// Failures of a shard or control actor, mapped to the API's 503s by the HTTP layer.
public struct ShardError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// Too many appends pending on the shard, or the disk is below the floor (api.md: 503, 1016).
        public static let overloaded = Code(name: "overloaded")
        /// The log failed to make the event durable; nothing was acknowledged.
        public static let storage = Code(name: "storage")
        /// `replication_ack=replicated` and PostgreSQL did not confirm in time: the outcome is unknown
        /// to the caller (api.md §6.1: 503, 1023); the event is durable locally and may still go out.
        public static let notReplicated = Code(name: "notReplicated")
        /// Hashing a password failed (OpenSSL could not allocate scrypt's memory); nothing was logged.
        public static let credentials = Code(name: "credentials")
        /// The node is shutting down.
        public static let stopped = Code(name: "stopped")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
