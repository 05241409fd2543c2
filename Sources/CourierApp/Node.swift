import CourierCore
import CourierCrypto
import CourierGateway
import CourierHTTP
import CourierLog
import CourierShards
import CourierStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

/// A running node's parts, built by `Node.build` and run as one service group.
public struct Node: Sendable {
    public let dataDirectory: DataDirectory
    public let log: LMDBEventLog
    public let shards: ShardDirectory
    public let nodeKey: String
    /// The embedded simulated network.
    public let gateway: GatewaySimulator
    /// The replicator, when PostgreSQL is configured.
    public let replicator: Replicator?
    /// Message GC; its completion handlers are where the GC callback gets queued (webhooks.md §7).
    public let messageGC: MessageGC
    /// The control stream's actor (users, tokens, settings, account).
    public let control: ControlActor
    /// Run these in a `ServiceGroup`, in this order: shutdown goes in reverse, so the HTTP server
    /// drains before the log flushes and closes.
    public let services: [any Service]
    /// Posts callbacks to `webhooks.url`.
    public var webhooks: WebhookDispatcher? = nil
    /// Posts out-of-band errors callbacks (webhooks.md §6); `report(condition:details:)` for conditions found elsewhere.
    public var outOfBandErrors: OutOfBandErrors? = nil

    /// Builds an all-in-one node: opens the data dir and log, restores the shard map from the control
    /// stream, replays every shard, and prepares the HTTP server. `onListening` gets the bound port.
    public static func build(
        configuration: NodeConfiguration, logger: Logger,
        clock: @escaping @Sendable () -> Timestamp = SystemSources.clock,
        randomID: @escaping @Sendable () -> (UInt64, UInt64) = SystemSources.random128,
        credentials: CredentialOperations = .crypto(),
        metricsText: (@Sendable () -> [UInt8])? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> Node {
        guard configuration.role == .all else {
            throw AppError("--role \(configuration.role.rawValue) needs the cluster, which this build does not have yet; use --role all")
        }
        let dataDirectory = try DataDirectory.openOrCreate(configuration.dataDirectory, newNodeID: SystemSources.newNodeID)
        try dataDirectory.checkWritable(minimumFreeBytes: configuration.minimumFreeBytes)
        let nodeKey = "\(configuration.nodeName):\(dataDirectory.nodeID)"
        // Absolute: inbound callbacks name files on the volume by path (webhooks.md §2).
        var mediaRoot = configuration.mediaDirectory ?? dataDirectory.path + "/media"
        if !mediaRoot.hasPrefix("/") { mediaRoot = FileManager.default.currentDirectoryPath + "/" + mediaRoot }
        let media = MediaStore(root: mediaRoot, clock: clock)
        do {
            try media.prepare()
        } catch {
            throw AppError("media volume \(media.root): \(error)")
        }
        // HTTPS material first: a bad certificate stops the start before anything is opened.
        var server = HTTPServerBuilder.http1()
        let servedCertificate = ServedCertificate()
        var tlsMaterial: TLSMaterial? = nil
        if let tls = configuration.tls {
            let material = try TLSMaterial.prepare(tls, dataDirectory: dataDirectory, hostNames: [configuration.listenHost, configuration.nodeName])
            server = try .tls(.http1(), tlsConfiguration: material.serverConfiguration(override: servedCertificate))
            tlsMaterial = material
        }
        var logConfiguration = LMDBEventLog.Configuration()
        logConfiguration.segmentSizeBytes = configuration.segmentSizeBytes
        logConfiguration.minimumFreeBytes = configuration.minimumFreeBytes
        logConfiguration.archiveKeep = configuration.logArchiveKeep
        let log: LMDBEventLog
        do {
            log = try LMDBEventLog(directory: dataDirectory.logPath, configuration: logConfiguration, clock: clock, logger: logger)
        } catch let error as LogError {
            throw AppError(error.message)
        }
        if let database = configuration.database {
            try await restoreSnapshotsFromDatabase(
                database: database, log: log, snapshots: SnapshotStore(directory: dataDirectory.snapshotsPath), logger: logger)
        }
        let (shardCount, openReshard) = try await ShardMap.restoreOrAssignMap(
            log: log, nodeKey: nodeKey, snapshots: SnapshotStore(directory: dataDirectory.snapshotsPath))
        var shardConfiguration = ShardActor.Configuration()
        shardConfiguration.queueLimit = configuration.shardQueueLimit
        shardConfiguration.snapshots = SnapshotStore(directory: dataDirectory.snapshotsPath)
        shardConfiguration.snapshotEveryEvents = UInt64(configuration.snapshotEveryEvents)
        let lateControl = LateBound<ControlActor>()
        shardConfiguration.fetchMediaLink = Self.mediaLinkFetcher(
            clock: clock, providers: { await lateControl.value.section(SettingsChangeEvent.mediaProvidersSection) })
        let webhooks = makeWebhookDispatcher(configuration, shardConfiguration: &shardConfiguration, clock: clock, logger: logger)
        var services: [any Service] = [LogService(log: log)]
        var startedReplicator: Replicator? = nil
        if let database = configuration.database {
            let replicator = try await startReplication(
                database: database, log: log, nodeKey: nodeKey, shardCount: shardCount, clock: clock, logger: logger)
            if configuration.replicationAck == .replicated {
                let timeout = configuration.replicationAckTimeout
                shardConfiguration.acknowledgement = { position in
                    try await replicator.waitReplicated(shard: position.shard, seq: position.seq, timeout: timeout)
                }
            }
            services.append(ReplicationService(replicator: replicator, statusPath: dataDirectory.replicationStatusPath, nodeKey: nodeKey))
            startedReplicator = replicator
        }
        let gateway = GatewaySimulator(configuration: configuration.gateway, clock: clock, logger: logger)
        shardConfiguration.onReadReceipt = { id, to in gateway.inbound.receiveReadReceipt(messageID: id, to: to) }
        let shards = ShardDirectory(
            shardCount: shardCount, log: log, epoch: 1, configuration: shardConfiguration, logger: logger,
            onDispatch: { messageID, to in gateway.dispatch(messageID: messageID, to: to) })
        gateway.onReceipts { receipts in await Self.record(receipts, in: shards, logger: logger) }
        let replayed = try await shards.replayAll()
        logger.info(
            "shards replayed", metadata: ["shard.count": "\(shardCount)", "log.records": "\(replayed)", "node.key": "\(nodeKey)"])
        var controlConfiguration = ControlActor.Configuration()
        // The replicated ack mode applies to user and token changes too.
        controlConfiguration.acknowledgement = shardConfiguration.acknowledgement
        controlConfiguration.snapshots = shardConfiguration.snapshots
        controlConfiguration.snapshotEveryEvents = shardConfiguration.snapshotEveryEvents
        let control = ControlActor(
            log: log, epoch: 1, credentials: credentials, configuration: controlConfiguration, clock: clock, logger: logger)
        let controlRecords = try await control.start()
        lateControl.set(control)
        logger.info("users and tokens replayed", metadata: ["log.records": "\(controlRecords)"])
        // A shard count change a crash interrupted is completed before anything is served (cluster.md §8).
        if let openReshard { try await shards.completeReshard(openReshard, control: control, nodeKey: nodeKey) }
        var redispatched = 0
        for actor in shards.actors { redispatched += await actor.redispatchPending() }
        logger.info("gateway re-dispatch", metadata: ["gateway.redispatched": "\(redispatched)"])
        try await startWebhooks(webhooks, shards: shards, gateway: gateway, control: control, logger: logger)
        var apiConfiguration = APIConfiguration()
        apiConfiguration.bodyLimitBytes = configuration.bodyLimitBytes
        apiConfiguration.apiKey = configuration.apiKey
        let sessionLostAfter = configuration.gatewaySessionLostAfter
        var dependencies = APIDependencies(
            shards: shards, randomID: randomID, gatewayStatus: { gateway.healthStatus(connectingFor: sessionLostAfter) },
            configuration: apiConfiguration, logger: logger, control: control)
        dependencies.metricsText = metricsText
        dependencies.isOnNetwork = { gateway.isOnNetwork($0) }
        dependencies.localCertificateAuthorityPEM = tlsMaterial?.localAuthorityPEM
        dependencies.media = media
        dependencies.nodeKey = nodeKey
        dependencies.mediaCollector = MediaCollector(
            store: media, clock: clock, logger: logger,
            exempt: {
                // The profile photo is never collected.
                let photo = await control.section(SettingsChangeEvent.profilePhotoSection)?["media_id"]?.stringValue
                return Set([photo].compactMap { $0 })
            })
        // A certificate stored with POST /v1/certificates/external replaces the start-up one.
        if case .object(let stored)? = await control.section(SettingsChangeEvent.externalCertificateSection),
            let key = stored["key_pem"]?.stringValue, let chain = stored["chain_pem"]?.stringValue
        {
            do {
                try servedCertificate.install(try CertificateBundle.parse(key + chain))
            } catch {
                logger.error("the stored HTTPS certificate cannot be served; keeping the start-up one", metadata: ["error": "\(error)"])
            }
        }
        dependencies.externalCertificateChanged = { bundle in
            do {
                try servedCertificate.install(bundle)
                logger.info("HTTPS certificate replaced")
            } catch {
                logger.error("the new HTTPS certificate cannot be served", metadata: ["error": "\(error)"])
            }
        }
        let schemaVersion = configuration.database == nil ? nil : Migration.latestVersion
        let dataPath = dataDirectory.path
        let replicator = startedReplicator
        let version = apiConfiguration.serverVersion
        let databaseEngine = configuration.database == nil ? "NONE" : "POSTGRES"
        dependencies.support = {
            let lag = replicator?.status.streams.values.reduce(UInt64(0)) { $0 + $1.lagEvents } ?? 0
            return SupportFacts(
                version: version, databaseEngine: databaseEngine,
                schemaVersion: schemaVersion, shards: shards.shardCount, nodeKey: nodeKey, dataFreeBytes: FreeSpace.bytes(dataPath),
                mediaFreeBytes: FreeSpace.bytes(media.root), replicationLagEvents: lag
            ).json
        }
        dependencies.gateway = gateway
        let messageGC = Self.makeMessageGC(
            configuration: configuration, shards: shards, log: log, nodeKey: nodeKey, replicator: startedReplicator, logger: logger,
            control: control)
        dependencies.stats.messageGC = messageGC
        dependencies.stats.nodeKey = nodeKey
        services.append(
            AutoGCService(
                gc: messageGC, control: control, intervalSeconds: configuration.autoGCIntervalSeconds, clock: clock, logger: logger))
        dependencies.injectInbound = { try await gateway.inbound.inject($0) }
        gateway.inbound.onMedia { bytes, mimeType in
            let id = MediaPolicy.newID(random: randomID())
            let stored = try await media.storeIncoming(id: id, mimeType: mimeType, bytes: bytes)
            return (id, stored.info.sha256, stored.path)
        }
        dependencies.webhookStats = { webhooks.stats() }
        dependencies.stats.callbacks = {
            let stats = webhooks.stats()
            return CallbackStats(queueSize: stats.queueSize, requests: stats.requests)
        }
        let outOfBand = Self.makeOutOfBandErrors(
            configuration, nodeKey: nodeKey, dispatcher: webhooks, gateway: gateway, replicator: startedReplicator, log: log,
            watchedPaths: [dataPath, media.root], control: control, clock: clock, logger: logger)
        dependencies.outOfBandErrors = outOfBand
        await Self.wireServiceResults(
            messageGC: messageGC, mediaCollector: dependencies.mediaCollector, shards: shards, logger: logger)
        let application = Application(
            responder: CourierAPI.responder(dependencies),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.listenHost, port: configuration.listenPort), backlog: 1024),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        return Node(
            dataDirectory: dataDirectory, log: log, shards: shards, nodeKey: nodeKey, gateway: gateway,
            replicator: startedReplicator, messageGC: messageGC, control: control,
            services: services + [webhooks, outOfBand, application], webhooks: webhooks, outOfBandErrors: outOfBand)
    }

    /// Logs receipts from the gateway as `status` events, one append per shard per batch.
    static func record(_ receipts: [GatewaySimulator.Receipt], in shards: ShardDirectory, logger: Logger) async {
        await shards.withMap { count, actors in await record(receipts, count: count, actors: actors, logger: logger) }
    }

    private static func record(_ receipts: [GatewaySimulator.Receipt], count: Int, actors: [ShardActor], logger: Logger) async {
        var byShard: [Int: [StatusEvent]] = [:]
        for receipt in receipts {
            var errors: [UInt8] = []
            if let code = receipt.errorCode {
                let error: JSONValue = [["code": .integer(Int64(code)), "title": .string(APIProblem.title(of: code))]]
                errors = error.serialized()
            }
            var status = StatusEvent(
                messageID: receipt.messageID, waID: receipt.waID, status: receipt.status,
                networkTimestamp: receipt.timestamp, errors: errors)
            if let conversation = receipt.conversationID { status.setBusinessInitiated(conversation: conversation) }
            byShard[Int(ShardHash.shard(of: receipt.waID, shardCount: count)), default: []].append(status)
        }
        for (shard, statuses) in byShard {
            do {
                try await actors[shard].recordStatuses(statuses)
            } catch {
                // Not logged: those sends stay without this status and are re-dispatched after a restart.
                logger.warning("statuses not logged", metadata: ["shard.id": "\(shard)", "error": "\(error)"])
            }
        }
    }

    /// Applies pending migrations (a single node does it at start, operations.md §3.1), then starts
    /// the replicator, woken by every local commit.
    static func startReplication(
        database: DatabaseConfiguration, log: LMDBEventLog, nodeKey: String, shardCount: Int,
        clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) async throws -> Replicator {
        // libpq blocks (and retries for up to 60 s): a dedicated thread, never the cooperative pool.
        let worker = PGWorker(url: database.connectionString, name: "courier-pg-init")
        defer { worker.stop() }
        let migrated: Result<[Int], StoreError>
        do {
            migrated = .success(
                try await worker.run {
                    let connection = try DatabaseBootstrap.connect(database) { message in
                        logger.warning("waiting for PostgreSQL", metadata: ["db": "\(database.displayName)", "error": "\(message)"])
                    }
                    return try Migrator().upgrade(connection) { line in logger.info("\(line)") }
                })
        } catch let error as StoreError {
            migrated = .failure(error)
        } catch {
            migrated = .failure(StoreError(.connection, "\(error)"))
        }
        switch migrated {
        case .success(let applied):
            logger.info("database ready", metadata: ["db": "\(database.displayName)", "db.migrations.applied": "\(applied.count)"])
        case .failure(let error):
            throw AppError("PostgreSQL \(database.displayName): \(error.message)", exitCode: error.code == .schemaTooNew ? 3 : 2)
        }
        var replication = Replicator.Configuration(nodeKey: nodeKey)
        replication.shardCount = shardCount
        let replicator = Replicator(log: log, database: database, configuration: replication, clock: clock, logger: logger)
        log.addCommitObserver { replicator.wake() }
        replicator.start()
        return replicator
    }
}

/// Owns the log's lifetime inside the service group: closes it (flushing queued commits) on shutdown.
struct LogService: Service {
    let log: LMDBEventLog

    func run() async throws {
        // Cancellation and graceful shutdown both mean: flush and close.
        try? await gracefulShutdown()
        await log.close()
    }
}

/// The shard map as the control stream records it (`shard-change` events).
enum ShardMap {
    /// The shard count last assigned; on a new data dir, assigns 1 shard to this node. Starts from the newest
    /// usable control snapshot, which keeps the count once the early control segments left the live log.
    static func restoreOrAssign(log: any EventLog, nodeKey: String, snapshots: SnapshotStore? = nil) async throws -> Int {
        try await restoreOrAssignMap(log: log, nodeKey: nodeKey, snapshots: snapshots).shardCount
    }

    /// The shard count, and a `reshard-begin` with no commit or abort after it (completed at start).
    static func restoreOrAssignMap(
        log: any EventLog, nodeKey: String, snapshots: SnapshotStore? = nil
    ) async throws -> (shardCount: Int, open: OpenReshard?) {
        var shardCount: Int? = nil
        var open: OpenReshard? = nil
        var fromSeq: UInt64 = 1
        for file in snapshots?.snapshots(shard: Record.controlShard) ?? [] {
            guard let store = snapshots, let loaded = try? store.load(file),
                let state = try? ControlState(snapshot: loaded.1), state.appliedSeq == loaded.0.seq
            else { continue }  // damaged: an older one, or the log
            shardCount = state.shardCount
            fromSeq = loaded.0.seq + 1
            break
        }
        var expected = fromSeq
        try log.forEachRecord(shard: Record.controlShard, fromSeq: fromSeq) { record in
            guard record.seq == expected else {
                throw AppError("the control stream starts at seq \(record.seq) and no usable control snapshot covers seq \(expected)")
            }
            expected += 1
            if case .shardChange(let change)? = try Event.decode(record) {
                switch change.action {
                case .assigned: shardCount = change.shardCount
                case .reshardBegin: open = OpenReshard(change, seq: record.seq)
                case .reshardCommit:
                    shardCount = change.shardCount
                    open = nil
                case .reshardAbort: open = nil
                default: break
                }
            }
        }
        if let shardCount { return (shardCount, open) }
        let change = ShardChangeEvent(action: .assigned, shardCount: 1, shard: 0, ownerNodeKey: nodeKey, epoch: 1)
        _ = try await log.append(LogEntry(shard: Record.controlShard, epoch: 1, kind: .shardChange, payload: change.encoded()))
        return (1, nil)
    }
}
