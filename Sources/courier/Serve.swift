import ArgumentParser
import CourierApp
import Foundation
import Logging
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

    @Flag(help: "Serve HTTPS (COURIER_TLS); not in this build yet.")
    var tls = false

    func run() async throws {
        if try Environment.flag("WA_DB_UPGRADE", default: false) {
            // The original's upgrade container ran the same image with WA_DB_UPGRADE=1.
            try await DB.Upgrade.perform(dbURL: dbURL)
            return
        }
        let tlsRequested = try tls || Environment.flag("COURIER_TLS", default: false)
        if tlsRequested {
            throw AppError("--tls is not in this build yet; serve plain HTTP on loopback or put a TLS proxy in front")
        }
        let configuration = try nodeConfiguration()
        let logger = try Self.bootstrapLogging()
        let node = try await CourierApp.Node.build(configuration: configuration, logger: logger, onListening: { port in
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
        configuration.snapshotEveryEvents = try Environment.integer(
            "COURIER_SNAPSHOT_EVERY_EVENTS", default: 100_000, range: 100...100_000_000)
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

    /// Only `courier` bootstraps logging: stderr when `COURIER_LOG_STDERR` is 1 (default), at `COURIER_LOG_LEVEL`.
    static func bootstrapLogging() throws -> Logger {
        let toStderr = try Environment.flag("COURIER_LOG_STDERR", default: true)
        let levelText = Environment.string("COURIER_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw AppError("COURIER_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            guard toStderr else { return SwiftLogNoOpLogHandler() }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "courier")
        logger.logLevel = level
        return logger
    }
}
