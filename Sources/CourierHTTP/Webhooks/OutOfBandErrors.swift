import CourierCore
import Logging
import ServiceLifecycle
import Synchronization

/// Out-of-band errors callbacks (webhooks.md §6): polls the node's conditions about once a second, lets
/// the pure `OutOfBandPolicy` decide, and posts `{"errors": [...]}` to `webhooks.url` through the
/// dispatcher's HTTP client (same TLS trust and headers as callbacks). Best-effort: nothing is logged
/// as an event, and each callback is posted at most `maximumAttempts` times.
public actor OutOfBandErrors: Service {
    /// Where the watched conditions are read; each is cheap and non-blocking.
    public struct Sources: Sendable {
        /// Whether the node holds a live gateway session.
        public var gatewayConnected: @Sendable () -> Bool = { true }
        /// The largest replication lag in seconds; nil without PostgreSQL.
        public var replicationLagSeconds: @Sendable () -> Double? = { nil }
        /// Per-stream replication progress (PostgreSQL's watermark, the local log's last seq); empty without PostgreSQL.
        public var replicationProgress: @Sendable () -> [ReplicationProgress] = { [] }
        /// Free bytes of the data dir and the media volume.
        public var freeBytes: @Sendable () -> [(path: String, bytes: Int?)] = { [] }

        public init() {}
    }

    public struct Configuration: Sendable {
        public var thresholds = OutOfBandPolicy.Thresholds()
        /// How often the conditions are polled.
        public var pollInterval: Duration = .seconds(1)

        public init() {}
    }

    /// Counters for tests and logs: callbacks decided, posts answered 2xx, posts failed, callbacks given up.
    public struct Stats: Hashable, Sendable {
        public var decided = 0
        public var succeeded = 0
        public var failedAttempts = 0
        public var abandoned = 0
    }

    private var policy: OutOfBandPolicy
    private let configuration: Configuration
    private let sources: Sources
    private let dispatcher: WebhookDispatcher
    private let settings: @Sendable () async -> WebhookSettings
    private let clock: @Sendable () -> Timestamp
    private let logger: Logger
    private nonisolated let statistics = Mutex(Stats())

    public init(
        nodeKey: String, configuration: Configuration = Configuration(), sources: Sources, dispatcher: WebhookDispatcher,
        settings: @escaping @Sendable () async -> WebhookSettings, clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.policy = OutOfBandPolicy(nodeKey: nodeKey, thresholds: configuration.thresholds)
        self.configuration = configuration
        self.sources = sources
        self.dispatcher = dispatcher
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public nonisolated func stats() -> Stats { statistics.withLock { $0 } }

    /// Reports a condition found elsewhere (a reshard rolled back: `.reshardRolledBack`, 1014); posted
    /// unless the same condition was reported less than 5 minutes ago.
    public func report(condition: OutOfBandCondition, details: String) {
        guard let error = policy.report(condition, details: details, now: clock()) else { return }
        post(error)
    }

    public func run() async throws {
        let interval = configuration.pollInterval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.poll()
                do { try await Task.sleep(for: interval) } catch { return }  // cancelled: stopping
            }
        }
    }

    /// One observation of every source; posts what the policy decides.
    func poll() {
        let observation = OutOfBandObservation(
            gatewayConnected: sources.gatewayConnected(), replicationLagSeconds: sources.replicationLagSeconds(),
            replication: sources.replicationProgress(), freeBytes: sources.freeBytes())
        for error in policy.observe(observation, now: clock()) { post(error) }
    }

    private func post(_ error: OutOfBandError) {
        statistics.withLock { $0.decided += 1 }
        logger.warning(
            "out-of-band error", metadata: ["error.code": "\(error.condition.code)", "error.details": "\(error.details)"])
        let policy = self.policy
        Task { await self.deliver(error, policy: policy) }
    }

    /// Posts one callback, up to the policy's attempt limit; off the actor, which keeps polling meanwhile.
    private nonisolated func deliver(_ error: OutOfBandError, policy: OutOfBandPolicy) async {
        let body = error.body.serialized()
        let delivery = error.delivery(nodeKey: policy.nodeKey)
        var attempt = 1
        while true {
            let current = await settings()
            guard !current.url.isEmpty else {
                // No webhook URL: nowhere to post; best-effort means it is not kept.
                statistics.withLock { $0.abandoned += 1 }
                return
            }
            var status = 0
            do {
                status = try await dispatcher.postOutOfBand(body, delivery: delivery, attempt: attempt, settings: current)
            } catch {
                logger.debug("out-of-band callback failed", metadata: ["webhook.delivery": "\(delivery)", "error": "\(error)"])
            }
            if (200..<300).contains(status) {
                statistics.withLock { $0.succeeded += 1 }
                return
            }
            statistics.withLock { $0.failedAttempts += 1 }
            guard let delay = policy.retryDelay(afterFailedAttempt: attempt) else {
                statistics.withLock { $0.abandoned += 1 }
                logger.info("out-of-band callback given up", metadata: ["webhook.delivery": "\(delivery)", "webhook.attempts": "\(attempt)"])
                return
            }
            do { try await Task.sleep(for: delay) } catch { return }
            attempt += 1
        }
    }
}
