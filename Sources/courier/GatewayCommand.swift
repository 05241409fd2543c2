import ArgumentParser
import CourierApp
import CourierGateway
import Foundation
import Logging
import ServiceLifecycle

/// `courier gateway`: the simulated WhatsApp network on its own listener (api.md §16).
struct Gateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the simulated WhatsApp network: the /gateway control endpoints on their own listener.")

    @Option(help: "Listener host:port, default 127.0.0.1:6280.")
    var listen = "127.0.0.1:6280"

    @Option(name: .customLong("sent-ms"), help: "Dispatch to `sent` receipt, ms.")
    var sentMs = 20

    @Option(name: .customLong("delivered-ms"), help: "Dispatch to `delivered` receipt, ms.")
    var deliveredMs = 50

    @Option(name: .customLong("read-ms"), help: "Dispatch to `read` receipt, ms.")
    var readMs = 500

    @Option(name: .customLong("read-ratio"), help: "Share of delivered messages that are read, 0 to 1.")
    var readRatio = 1.0

    @Option(help: "Seed for deterministic ids, codes and timings.")
    var seed: UInt64 = 0

    @Option(name: .customLong("unknown-suffix"), help: "Numbers ending in these digits are not on the network.")
    var unknownSuffix: String?

    @Flag(name: .customLong("strict-certs"), help: "Accept only certificates issued by POST /gateway/certs.")
    var strictCerts = false

    func run() async throws {
        guard let (host, port) = NodeConfiguration.parseListen(listen) else {
            throw AppError("--listen must be host:port, not '\(listen)'")
        }
        guard [sentMs, deliveredMs, readMs].allSatisfy({ (0...86_400_000).contains($0) }) else {
            throw AppError("--sent-ms, --delivered-ms and --read-ms must be 0 to 86400000")
        }
        guard (0...1).contains(readRatio) else { throw AppError("--read-ratio must be from 0 to 1") }
        if let unknownSuffix, unknownSuffix.isEmpty || !unknownSuffix.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw AppError("--unknown-suffix must be digits")
        }
        var configuration = GatewayConfiguration()
        configuration.sentDelay = .milliseconds(sentMs)
        configuration.deliveredDelay = .milliseconds(deliveredMs)
        configuration.readDelay = .milliseconds(readMs)
        configuration.readRatio = readRatio
        configuration.seed = seed
        configuration.unknownSuffix = unknownSuffix
        configuration.strictCertificates = strictCerts
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = try {
            var logger = Logger(label: "courier.gateway")
            logger.logLevel = try Serve.logLevel()
            return logger
        }()
        let server = GatewayServer.build(
            configuration: configuration, host: host, port: port, logger: logger,
            onListening: { port in
                logger.info("gateway listening", metadata: ["http.host": "\(host)", "http.port": "\(port)"])
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: server.services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("gateway stopped")
    }
}
