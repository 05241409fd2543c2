/// Failed-login limiting (api.md §3.1 [Courier choice]): `failureLimit` failures for one username from one client
/// address within `window` block that pair for `blockDuration`.
///
/// In memory only, never logged: a restart forgets it. Pure: time comes in as `now`.
public struct LoginThrottle: Sendable {
    public struct Configuration: Sendable {
        /// Failures that trigger a block.
        public var failureLimit: Int = 10
        /// How far back failures count.
        public var window: Duration = .seconds(300)
        /// How long a blocked pair gets 429.
        public var blockDuration: Duration = .seconds(300)

        public init() {}
    }

    struct Entry: Sendable {
        /// Failure times inside the window, oldest first; at most `failureLimit`.
        var failures: [Timestamp] = []
        var blockedUntil: Timestamp? = nil
    }

    public let configuration: Configuration
    private(set) var entries: [String: Entry] = [:]
    /// Entries are swept of stale pairs when their count reaches this, so memory follows the attack, not history.
    private var sweepThreshold = 1024

    /// Username and address pairs currently remembered (tests, stats).
    public var trackedPairs: Int { entries.count }

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.failureLimit > 0, "LoginThrottle needs a failure limit of at least 1")
        self.configuration = configuration
    }

    /// Seconds until the pair may try again, or nil when it is not blocked.
    public func retryAfterSeconds(username: String, client: String, now: Timestamp) -> Int64? {
        guard let until = entries[Self.key(username, client)]?.blockedUntil, until > now else { return nil }
        return max(1, now.secondsUntil(until))
    }

    /// Counts a failed login; the `failureLimit`-th inside the window blocks the pair.
    public mutating func recordFailure(username: String, client: String, now: Timestamp) {
        let key = Self.key(username, client)
        var entry = entries[key] ?? Entry()
        let windowStart = now.advanced(by: .zero - configuration.window)
        entry.failures.removeAll { $0 <= windowStart }
        entry.failures.append(now)
        if entry.failures.count >= configuration.failureLimit {
            entry.failures = []
            entry.blockedUntil = now.advanced(by: configuration.blockDuration)
        }
        entries[key] = entry
        if entries.count >= sweepThreshold { sweep(now: now) }
    }

    /// A successful login forgets the pair's failures.
    public mutating func recordSuccess(username: String, client: String) {
        entries[Self.key(username, client)] = nil
    }

    /// Drops pairs that are neither blocked nor have a failure inside the window.
    mutating func sweep(now: Timestamp) {
        let windowStart = now.advanced(by: .zero - configuration.window)
        entries = entries.filter { _, entry in
            (entry.blockedUntil.map { $0 > now } ?? false) || (entry.failures.last.map { $0 > windowStart } ?? false)
        }
        sweepThreshold = max(1024, entries.count * 2)
    }

    /// A NUL separates the parts: neither a username nor an address contains one.
    static func key(_ username: String, _ client: String) -> String { username + "\u{0}" + client }
}
