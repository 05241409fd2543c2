import CourierGateway
import CourierLog
import CourierStore

/// Everything a node needs to start, parsed by `courier` from flags and environment (operations.md §1).
public struct NodeConfiguration: Sendable {
    public enum Role: String, CaseIterable, Sendable {
        case all, webapp, master, coreapp
    }

    /// `--role` / `COURIER_ROLE`.
    public var role: Role = .all
    /// `--listen` / `COURIER_LISTEN`.
    public var listenHost: String = "127.0.0.1"
    public var listenPort: Int = 9090
    /// `--data-dir` / `COURIER_DATA_DIR`.
    public var dataDirectory: String = "./data"
    /// `COURIER_NODE_NAME`, the first half of the node key.
    public var nodeName: String = "courier"
    /// `COURIER_MIN_FREE_BYTES`: below it, sends get 503/1016.
    public var minimumFreeBytes: Int = 1 << 30
    /// `COURIER_LOG_SEGMENT_BYTES`.
    public var segmentSizeBytes: Int = 64 << 20
    /// `COURIER_SHARD_QUEUE_LIMIT`.
    public var shardQueueLimit: Int = 10_000
    /// The embedded simulated network's options (api.md §16).
    public var gateway = GatewayConfiguration()
    /// `COURIER_SNAPSHOT_EVERY_EVENTS`: a shard snapshot every this many events.
    public var snapshotEveryEvents: Int = 100_000
    /// `COURIER_GC_RETENTION_DAYS`, `COURIER_AUTO_GC_INTERVAL_S` (operations.md §4).
    public var gcRetentionDays: Int = 30
    /// `COURIER_LOG_ARCHIVE_KEEP`: archived event-log segments kept (0 deletes instead).
    public var logArchiveKeep: Int = 30
    public var autoGCIntervalSeconds: Int = 3600
    /// `WA_API_KEY`: enables `Authorization: Apikey` on health, metrics and stats (12–128 characters).
    public var apiKey: String? = nil
    /// `COURIER_BODY_LIMIT_BYTES`.
    public var bodyLimitBytes: Int = 1 << 20
    /// `COURIER_MEDIA_DIR`: the media volume; nil is `<data dir>/media`.
    public var mediaDirectory: String? = nil
    /// `--tls` / `COURIER_TLS`: HTTPS when set.
    public var tls: TLSSettings? = nil
    /// `COURIER_WEBHOOK_TIMEOUT_MS`: a callback without a 2xx within this has failed.
    public var webhookTimeout: Duration = .seconds(10)
    /// A gateway session lost this long shows `disconnected` in `/v1/health` (`connecting` before) and is
    /// reported by an out-of-band errors callback (1011, webhooks.md §6), whose conditions are polled every
    /// `outOfBandPollInterval`. Configurable for tests.
    public var gatewaySessionLostAfter: Duration = .seconds(30)
    /// Replication lagging more than this is reported (1023).
    public var replicationLagAfter: Duration = .seconds(60)
    public var outOfBandPollInterval: Duration = .seconds(1)

    /// PostgreSQL, when configured (`WA_DB_*` or `--db-url`); nil runs LMDB-only.
    public var database: DatabaseConfiguration? = nil
    /// `COURIER_REPLICATION_ACK`: `replicated` by default with PostgreSQL, else `local`.
    public var replicationAck: ReplicationAck = .local
    /// `COURIER_REPLICATION_ACK_TIMEOUT_MS`: wait for PostgreSQL before 503/1023.
    public var replicationAckTimeout: Duration = .milliseconds(5000)

    public enum ReplicationAck: String, CaseIterable, Sendable {
        /// 201 after the local fsync.
        case local
        /// 201 only after PostgreSQL committed the event too.
        case replicated
    }

    public init() {}

    /// Parses `host:port` as `--listen` takes it.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (host, port)
    }
}
