import CourierCore
import CourierGateway
import CourierHTTP
import CourierLog
import CourierShards
import CourierStore
import Logging

extension Node {
    /// The out-of-band errors watcher (webhooks.md §6): the gateway session, replication lag (with
    /// PostgreSQL) and the free space of the data dir and media volume, posted through the dispatcher.
    static func makeOutOfBandErrors(
        _ configuration: NodeConfiguration, nodeKey: String, dispatcher: WebhookDispatcher, gateway: GatewaySimulator,
        replicator: Replicator?, log: LMDBEventLog, watchedPaths: [String], control: ControlActor, clock: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> OutOfBandErrors {
        var outOfBand = OutOfBandErrors.Configuration()
        outOfBand.thresholds.gatewaySessionLost = configuration.gatewaySessionLostAfter
        outOfBand.thresholds.replicationLag = configuration.replicationLagAfter
        outOfBand.thresholds.minimumFreeBytes = configuration.minimumFreeBytes
        outOfBand.pollInterval = configuration.outOfBandPollInterval
        var sources = OutOfBandErrors.Sources()
        sources.gatewayConnected = { gateway.status == "connected" }
        if let replicator {
            sources.replicationLagSeconds = { replicator.status.streams.values.map(\.lagSeconds).max() ?? 0 }
            // The live log's last seqs (in memory) against the watermarks PostgreSQL last confirmed.
            sources.replicationProgress = {
                let watermarks = replicator.status.streams
                return log.streams().map { stream in
                    ReplicationProgress(shard: stream.shard, replicatedSeq: watermarks[stream.shard]?.replicatedSeq ?? 0, lastSeq: stream.lastSeq)
                }
            }
        }
        sources.freeBytes = { watchedPaths.map { (path: $0, bytes: FreeSpace.bytes($0)) } }
        return OutOfBandErrors(
            nodeKey: nodeKey, configuration: outOfBand, sources: sources, dispatcher: dispatcher,
            settings: { await webhookSettings(control) }, clock: clock, logger: logger)
    }
}
