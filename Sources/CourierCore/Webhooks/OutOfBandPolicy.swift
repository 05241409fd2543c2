/// A condition that yields an out-of-band errors callback (webhooks.md §6).
public enum OutOfBandCondition: String, CaseIterable, Hashable, Sendable {
    /// The node's gateway session lost for at least the threshold (30 s): 1011.
    case gatewaySessionLost = "gateway_session_lost"
    /// Replication to PostgreSQL lagging more than the threshold (60 s): 1023.
    case replicationLag = "replication_lag"
    /// Free space in the data dir or on the media volume below `COURIER_MIN_FREE_BYTES`: 1016.
    case freeSpaceLow = "free_space_low"
    /// A reshard was rolled back: 1014.
    case reshardRolledBack = "reshard_rolled_back"

    public var code: Int {
        switch self {
        case .gatewaySessionLost: 1011
        case .replicationLag: 1023
        case .freeSpaceLow: 1016
        case .reshardRolledBack: 1014
        }
    }

    /// The title of `code` in the error table (api.md §15).
    public var title: String {
        switch self {
        case .gatewaySessionLost: "Service not ready"
        case .replicationLag: "Database error occurred"
        case .freeSpaceLow: "System overloaded"
        case .reshardRolledBack: "Internal error"
        }
    }
}

/// One out-of-band errors callback to post: `{"errors": [{"code", "title", "details"}]}`.
public struct OutOfBandError: Hashable, Sendable {
    public var condition: OutOfBandCondition
    public var details: String
    /// When it was decided; with the code, the callback's `X-Courier-Delivery` (stable over its attempts).
    public var at: Timestamp

    public init(condition: OutOfBandCondition, details: String, at: Timestamp) {
        self.condition = condition
        self.details = details
        self.at = at
    }

    /// The callback body.
    public var body: JSONValue {
        ["errors": [["code": .integer(Int64(condition.code)), "title": .string(condition.title), "details": .string(details)]]]
    }

    /// `X-Courier-Delivery` of an out-of-band callback: `<node key>:oob-<code>-<unix ms>` (no log position:
    /// these callbacks are not logged).
    public func delivery(nodeKey: String) -> String {
        "\(nodeKey):oob-\(condition.code)-\(at.microseconds / 1000)"
    }
}

/// One stream's replication progress: the last seq PostgreSQL confirmed and the local log's last seq.
public struct ReplicationProgress: Hashable, Sendable {
    public var shard: UInt16
    public var replicatedSeq: UInt64
    public var lastSeq: UInt64

    public init(shard: UInt16, replicatedSeq: UInt64, lastSeq: UInt64) {
        self.shard = shard
        self.replicatedSeq = replicatedSeq
        self.lastSeq = lastSeq
    }
}

/// What the watcher saw on one poll. A nil source is not watched (no PostgreSQL, say).
public struct OutOfBandObservation: Sendable {
    /// Whether the node holds a live gateway session.
    public var gatewayConnected: Bool = true
    /// The largest replication lag over the node's streams, in seconds, as the replicator last computed it.
    public var replicationLagSeconds: Double? = nil
    /// Per-stream progress: a stream behind whose watermark does not move lags at least as long as it
    /// has not moved, even when the replicator is stuck and its own figure is stale.
    public var replication: [ReplicationProgress] = []
    /// Free bytes per watched path (data dir, media volume); nil bytes: unreadable, not judged.
    public var freeBytes: [(path: String, bytes: Int?)] = []

    public init(
        gatewayConnected: Bool = true, replicationLagSeconds: Double? = nil, replication: [ReplicationProgress] = [],
        freeBytes: [(path: String, bytes: Int?)] = []
    ) {
        self.gatewayConnected = gatewayConnected
        self.replicationLagSeconds = replicationLagSeconds
        self.replication = replication
        self.freeBytes = freeBytes
    }
}

/// Decides out-of-band errors callbacks (webhooks.md §6): which conditions hold now, at most one callback
/// per condition per node per `interval` (5 minutes), and at most `maximumAttempts` (3) posts of each.
/// Pure: time comes in as `now`; the watcher feeds it observations and performs what it returns.
public struct OutOfBandPolicy: Hashable, Sendable {
    public struct Thresholds: Hashable, Sendable {
        /// A lost gateway session is reported once lost this long.
        public var gatewaySessionLost: Duration = .seconds(30)
        /// Replication lagging more than this is reported.
        public var replicationLag: Duration = .seconds(60)
        /// Free bytes below this are reported (`COURIER_MIN_FREE_BYTES`).
        public var minimumFreeBytes: Int = 1 << 30
        /// At most one callback per condition per this.
        public var interval: Duration = .seconds(300)
        /// Posts of one callback at most (the first try included).
        public var maximumAttempts = 3
        /// The wait before the n-th retry: n × this.
        public var retryDelay: Duration = .seconds(1)

        public init() {}
    }

    public var thresholds: Thresholds
    public let nodeKey: String
    /// Since when the gateway session has been seen lost; nil while connected.
    public private(set) var gatewayLostSince: Timestamp? = nil
    /// Per stream behind: its watermark and since when it has not moved.
    public private(set) var stalled: [UInt16: Stall] = [:]
    /// When each condition's last callback was decided.
    public private(set) var lastReported: [OutOfBandCondition: Timestamp] = [:]

    public struct Stall: Hashable, Sendable {
        public var watermark: UInt64
        public var since: Timestamp
    }

    public init(nodeKey: String, thresholds: Thresholds = Thresholds()) {
        self.nodeKey = nodeKey
        self.thresholds = thresholds
    }

    /// The callbacks due after this observation.
    public mutating func observe(_ observation: OutOfBandObservation, now: Timestamp) -> [OutOfBandError] {
        var errors: [OutOfBandError] = []
        if observation.gatewayConnected {
            gatewayLostSince = nil
        } else {
            let since = gatewayLostSince ?? now
            gatewayLostSince = since
            let lost = now.microseconds - since.microseconds
            if lost >= Self.microseconds(thresholds.gatewaySessionLost) {
                let details = "gateway session lost on \(nodeKey) for \(lost / 1_000_000) s"
                if let error = report(.gatewaySessionLost, details: details, now: now) { errors.append(error) }
            }
        }
        var stalledFor: Int64 = 0
        var behind: [UInt16: Stall] = [:]
        for stream in observation.replication where stream.lastSeq > stream.replicatedSeq {
            var stall = stalled[stream.shard] ?? Stall(watermark: stream.replicatedSeq, since: now)
            if stall.watermark != stream.replicatedSeq { stall = Stall(watermark: stream.replicatedSeq, since: now) }
            behind[stream.shard] = stall
            stalledFor = max(stalledFor, now.microseconds - stall.since.microseconds)
        }
        stalled = behind
        let lagMicroseconds = max(Int64((observation.replicationLagSeconds ?? 0) * 1_000_000), stalledFor)
        if lagMicroseconds > Self.microseconds(thresholds.replicationLag) {
            let details = "replication to PostgreSQL from \(nodeKey) lagging \(lagMicroseconds / 1_000_000) s"
            if let error = report(.replicationLag, details: details, now: now) { errors.append(error) }
        }
        let low = observation.freeBytes.compactMap { entry in
            entry.bytes.map { (path: entry.path, bytes: $0) }
        }.filter { $0.bytes < thresholds.minimumFreeBytes }
        if !low.isEmpty {
            let paths = low.map { "\($0.path) has \($0.bytes) bytes free" }.joined(separator: ", ")
            let details = "free space on \(nodeKey) below the floor of \(thresholds.minimumFreeBytes) bytes: \(paths)"
            if let error = report(.freeSpaceLow, details: details, now: now) { errors.append(error) }
        }
        return errors
    }

    /// A condition found by someone else (a reshard rolled back): the callback, unless this condition
    /// was reported less than `interval` ago.
    public mutating func report(_ condition: OutOfBandCondition, details: String, now: Timestamp) -> OutOfBandError? {
        if let last = lastReported[condition], now.microseconds - last.microseconds < Self.microseconds(thresholds.interval) {
            return nil
        }
        lastReported[condition] = now
        return OutOfBandError(condition: condition, details: details, at: now)
    }

    /// After post number `attempt` (1-based) failed: the wait before the next one, or nil when that was
    /// the last (best-effort: never more than `maximumAttempts`).
    public func retryDelay(afterFailedAttempt attempt: Int) -> Duration? {
        guard attempt < thresholds.maximumAttempts else { return nil }
        return thresholds.retryDelay * attempt
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
