import ArgumentParser
import CourierApp
import CourierHTTP
import CourierLogging
import Dispatch
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a node.")

    @Option(help: "all, webapp, master or coreapp (COURIER_ROLE).")
    var role: String?

    @Option(help: "API listener host:port (COURIER_LISTEN), default 127.0.0.1:9090.")
    var listen: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (COURIER_DATA_DIR), default ./data.")
    var dataDir: String?

    @Option(name: .customLong("db-url"), help: "PostgreSQL URL (COURIER_DB_URL), instead of WA_DB_*.")
    var dbURL: String?

    @Flag(help: "Serve HTTPS (COURIER_TLS) with COURIER_TLS_CERT/COURIER_TLS_KEY, or a self-signed certificate made at first start.")
    var tls = false

    func run() async throws {
        if try Environment.flag("WA_DB_UPGRADE", default: false) {
            // The original's upgrade container ran the same image with WA_DB_UPGRADE=1.
            try await DB.Upgrade.perform(dbURL: dbURL)
            return
        }
        let configuration = try nodeConfiguration()
        let logs = try Self.bootstrapLogging(configuration)
        defer { logs.close() }
        let logger = try {
            var logger = Logger(label: "courier")
            logger.logLevel = try Self.logLevel()
            return logger
        }()
        // SIGHUP reopens the log files (operations.md §5.1), e.g. after an external rotation.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangup.setEventHandler { logs.reopen() }
        hangup.resume()
        // Only `courier` bootstraps metrics; components record through swift-metrics (STYLE.md §6).
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // fsyncs take tenths of a millisecond: buckets from 50 µs, not the default 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        factory.valueHistogramBuckets["courier_log_group_commit_events"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10_000]
        MetricsSystem.bootstrap(factory)
        // web_uptime (api.md §12.2, the original's name): seconds since start, set at every scrape.
        let uptime = Gauge(label: "web_uptime")
        let started = ContinuousClock.now
        let metricsText: @Sendable () -> [UInt8] = {
            let elapsed = ContinuousClock.now - started
            uptime.record(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return buffer
        }
        let node = try await CourierApp.Node.build(configuration: configuration, logger: logger, metricsText: metricsText, onListening: { port in
            logger.info("listening", metadata: ["http.host": "\(configuration.listenHost)", "http.port": "\(port)"])
        })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: node.services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("stopped", metadata: ["node.key": "\(node.nodeKey)"])
    }

    func nodeConfiguration() throws -> NodeConfiguration {
        var configuration = NodeConfiguration()
        let roleText = role ?? Environment.string("COURIER_ROLE") ?? "all"
        guard let parsedRole = NodeConfiguration.Role(rawValue: roleText) else {
            throw AppError("--role must be all, webapp, master or coreapp, not '\(roleText)'")
        }
        configuration.role = parsedRole
        let listenText = listen ?? Environment.string("COURIER_LISTEN") ?? "127.0.0.1:9090"
        guard let address = NodeConfiguration.parseListen(listenText) else {
            throw AppError("--listen (COURIER_LISTEN) must be host:port, not '\(listenText)'")
        }
        (configuration.listenHost, configuration.listenPort) = address
        configuration.dataDirectory = Environment.dataDirectory(dataDir)
        configuration.nodeName = Environment.string("COURIER_NODE_NAME") ?? ProcessInfo.processInfo.hostName
        configuration.minimumFreeBytes = try Environment.integer("COURIER_MIN_FREE_BYTES", default: 1 << 30)
        configuration.segmentSizeBytes = try Environment.integer(
            "COURIER_LOG_SEGMENT_BYTES", default: 64 << 20, range: (1 << 20)...(1 << 34))
        configuration.shardQueueLimit = try Environment.integer("COURIER_SHARD_QUEUE_LIMIT", default: 10_000, range: 1...10_000_000)
        configuration.bodyLimitBytes = try Environment.integer("COURIER_BODY_LIMIT_BYTES", default: 1 << 20, range: 1024...(64 << 20))
        configuration.webhookTimeout = .milliseconds(
            try Environment.integer("COURIER_WEBHOOK_TIMEOUT_MS", default: 10_000, range: 100...600_000))
        configuration.snapshotEveryEvents = try Environment.integer(
            "COURIER_SNAPSHOT_EVERY_EVENTS", default: 100_000, range: 100...100_000_000)
        configuration.logArchiveKeep = try Environment.integer("COURIER_LOG_ARCHIVE_KEEP", default: 30, range: 0...1_000_000)
        configuration.gcRetentionDays = try Environment.integer("COURIER_GC_RETENTION_DAYS", default: 30, range: 0...36_500)
        configuration.autoGCIntervalSeconds = try Environment.integer(
            "COURIER_AUTO_GC_INTERVAL_S", default: 3600, range: 1...31_536_000)
        if let key = Environment.string("WA_API_KEY") {
            if let problem = APIConfiguration.apiKeyProblem(key) { throw AppError("WA_API_KEY: \(problem)") }
            configuration.apiKey = key
        }
        configuration.mediaDirectory = Environment.string("COURIER_MEDIA_DIR")
        if try tls || Environment.flag("COURIER_TLS", default: false) {
            configuration.tls = TLSSettings(
                certificatePath: Environment.string("COURIER_TLS_CERT"), keyPath: Environment.string("COURIER_TLS_KEY"))
        }
        configuration.database = try Environment.database(url: dbURL)
        let ackText = Environment.string("COURIER_REPLICATION_ACK") ?? (configuration.database == nil ? "local" : "replicated")
        guard let ack = NodeConfiguration.ReplicationAck(rawValue: ackText) else {
            throw AppError("COURIER_REPLICATION_ACK must be local or replicated, not '\(ackText)'")
        }
        if ack == .replicated && configuration.database == nil {
            throw AppError("COURIER_REPLICATION_ACK=replicated needs PostgreSQL: set WA_DB_HOSTNAME or --db-url")
        }
        configuration.replicationAck = ack
        configuration.replicationAckTimeout = .milliseconds(
            try Environment.integer("COURIER_REPLICATION_ACK_TIMEOUT_MS", default: 5000, range: 1...600_000))
        return configuration
    }

    static func logLevel() throws -> Logger.Level {
        let levelText = Environment.string("COURIER_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw AppError("COURIER_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    /// Only `courier` bootstraps logging: rotated files under `COURIER_LOG_DIR` (default
    /// `<data dir>/logs`), and stderr too when `COURIER_LOG_STDERR` is 1 (operations.md §5.1).
    static func bootstrapLogging(_ node: NodeConfiguration) throws -> ApplicationLogs {
        var configuration = ApplicationLogs.Configuration(
            directory: Environment.string("COURIER_LOG_DIR") ?? node.dataDirectory + "/logs")
        configuration.alsoStandardError = try Environment.flag("COURIER_LOG_STDERR", default: true)
        configuration.minimumLevel = try logLevel()
        let formatText = Environment.string("COURIER_LOG_FORMAT") ?? "text"
        guard let format = ApplicationLogs.Format(rawValue: formatText) else {
            throw AppError("COURIER_LOG_FORMAT must be text or json, not '\(formatText)'")
        }
        configuration.format = format
        configuration.web = ApplicationLogs.Rotation(
            rotateAboveBytes: try Environment.integer("WA_WEB_LOGROTATE_SIZE_MB", default: 20, range: 1...100_000) * 1_000_000,
            keep: try Environment.integer("WA_WEB_LOGROTATE_KEEP", default: 30, range: 0...100_000))
        configuration.core = ApplicationLogs.Rotation(
            rotateAboveBytes: try Environment.integer("WA_CORE_LOGROTATE_SIZE_MB", default: 15, range: 1...100_000) * 1_000_000,
            keep: try Environment.integer("WA_CORE_LOGROTATE_KEEP", default: 30, range: 0...100_000))
        let role = ApplicationLogs.Role(rawValue: node.role.rawValue) ?? .all
        let logs: ApplicationLogs
        do {
            logs = try ApplicationLogs(role: role, configuration: configuration)
        } catch {
            throw AppError("cannot open the application logs in \(configuration.directory): \(error)")
        }
        LoggingSystem.bootstrap(logs.makeHandler(label:))
        return logs
    }
}
