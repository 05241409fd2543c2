import AsyncHTTPClient
import CourierCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Callback queue figures for `/v1/stats/app` (webhooks.md §5 "Visibility").
public struct WebhookStats: Hashable, Sendable {
    /// Entries owed and not yet accepted by the receiver (`callback_queue_size`).
    public var queueSize = 0
    /// Callbacks posted and not yet answered.
    public var inFlight = 0
    /// Callbacks waiting for their retry time.
    public var waitingRetry = 0
    /// Requests answered 2xx, and requests that failed (connection, timeout, 3xx, 4xx, 5xx).
    public var requestsSucceeded = 0
    public var requestsFailed = 0
    /// The same requests by result and callback type (`callback_requests{result,type}`).
    public var requests: [CallbackRequestKey: Int] = [:]

    public init() {}
}

/// Posts the outbox to `webhooks.url` (webhooks.md): the pure `WebhookScheduler` decides, this actor
/// performs: HTTP posts through one `HTTPClient`, `webhook-delivered` appends through `record`.
public actor WebhookDispatcher: Service {
    public struct Configuration: Sendable {
        /// A callback fails when no 2xx arrives within this (`COURIER_WEBHOOK_TIMEOUT_MS`).
        public var timeout: Duration = .seconds(10)
        /// `User-Agent: Courier/<version>`.
        public var version: String = "0.1.0"
        /// How often settings are re-read and retry times checked when nothing else happens.
        public var tick: Duration = .milliseconds(100)

        public init() {}
    }

    private struct Hooks {
        var settings: (@Sendable () async -> WebhookSettings)?
        var record: (@Sendable (_ shard: UInt16, _ event: Event) async throws -> Void)?
        var pending: (@Sendable () async -> [OutboxEntry])?
    }

    let configuration: Configuration
    private let clock: @Sendable () -> Timestamp
    private let logger: Logger
    let client: HTTPClient
    private var scheduler = WebhookScheduler()
    /// Entries released while `webhooks.url` was empty: they wait in their shards' outboxes, not here,
    /// and are read back from there (`pending`) once a URL is set.
    private var parked = 0
    /// Entries released by shard actors, taken by the next step (shards hand them over synchronously, in order).
    private nonisolated let inbox = Mutex<[OutboxEntry]>([])
    /// Entries that moved to another shard (resharding), forgotten by the next step after the inbox is taken.
    private nonisolated let moved = Mutex<[OutboxEntry]>([])
    private nonisolated let hooks = Mutex(Hooks())
    private nonisolated let statistics = Mutex(WebhookStats())
    private nonisolated let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let metrics = WebhookMetrics()
    private nonisolated let trustCache = Mutex<(pem: String, configuration: TLSConfiguration)?>(nil)
    /// The settings last read and when: re-read at most once per tick, not on every completion.
    private var settings: WebhookSettings? = nil
    private var settingsReadAt = ContinuousClock.now

    public init(configuration: Configuration = Configuration(), clock: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow  // a 3xx is a failure, never followed (webhooks.md §1)
        clientConfiguration.timeout = .init(connect: Self.timeAmount(configuration.timeout), read: Self.timeAmount(configuration.timeout))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Where the current application settings come from (the control stream's fold).
    public nonisolated func onSettings(_ provider: @escaping @Sendable () async -> WebhookSettings) {
        hooks.withLock { $0.settings = provider }
    }

    /// How `webhook-delivered` events reach their shard's log.
    public nonisolated func onRecord(_ record: @escaping @Sendable (_ shard: UInt16, _ event: Event) async throws -> Void) {
        hooks.withLock { $0.record = record }
    }

    /// Where the acknowledged entries of every shard's outbox come from, in seq order per shard: with
    /// it, entries released while no URL is set are not mirrored here (the bulk of the work when an
    /// integration takes its statuses later) but read back when a URL arrives.
    public nonisolated func onPending(_ pending: @escaping @Sendable () async -> [OutboxEntry]) {
        hooks.withLock { $0.pending = pending }
    }

    /// Takes owed callbacks whose events are acknowledged; called by shard actors in seq order.
    public nonisolated func enqueue(_ entries: [OutboxEntry]) {
        guard !entries.isEmpty else { return }
        inbox.withLock { $0.append(contentsOf: entries) }
        wake.yield()
    }

    /// Forgets entries a reshard moved to another shard: they come back through `enqueue` under their new
    /// shard and seq, and the old identities must not be posted after newer entries of the same `wa_id`.
    public nonisolated func forget(_ entries: [OutboxEntry]) {
        guard !entries.isEmpty else { return }
        moved.withLock { $0.append(contentsOf: entries) }
        wake.yield()
    }

    /// Queue figures and request counters as of now.
    public nonisolated func stats() -> WebhookStats { statistics.withLock { $0 } }

    public func run() async throws {
        let wake = self.wake
        let tick = configuration.tick
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)  // cancelled: the loop ends
                wake.yield()
            }
        }
        await cancelWhenGracefulShutdown {
            for await _ in self.wakes { await self.step() }
        }
        ticker.cancel()
        try await client.shutdown()
    }

    /// One decision round: take new entries, read settings, ask the scheduler what is due, perform it.
    private func step() async {
        if settings == nil || ContinuousClock.now - settingsReadAt >= configuration.tick {
            let provider = hooks.withLock { $0.settings }
            let fresh = await provider?() ?? WebhookSettings()
            // Reentrancy: another step may have run during the await; the newest read wins either way.
            settings = fresh
            settingsReadAt = ContinuousClock.now
        }
        let settings = self.settings ?? WebhookSettings()
        let incoming = inbox.withLock { entries in defer { entries = [] }; return entries }
        let forgotten = moved.withLock { entries in defer { entries = [] }; return entries }
        let pending = hooks.withLock { $0.pending }
        if settings.url.isEmpty, pending != nil {
            // Nothing can go out: the entries stay in their shards' outboxes until a URL is set.
            parked += incoming.count
            scheduler.forget(forgotten)
            publishStats()
            return
        }
        if parked > 0, let pending {
            parked = 0
            // The shards' outboxes hold everything parked and maybe some of `incoming`: the scheduler
            // ignores entries it already knows.
            for entry in await pending() { scheduler.enqueue(entry) }
        }
        for entry in incoming { scheduler.enqueue(entry) }
        scheduler.forget(forgotten)
        let work = scheduler.due(now: clock(), settings: settings)
        publishStats()
        if !work.skip.isEmpty { coverSkipped(work.skip) }
        for batch in work.post {
            Task { await self.post(batch, settings: settings) }
        }
    }

    /// Toggled-off entries need no request: one `webhook-delivered` of zero attempts per shard covers them.
    private func coverSkipped(_ entries: [OutboxEntry]) {
        let record = hooks.withLock { $0.record }
        let byShard = Dictionary(grouping: entries, by: \.shard)
        for (shard, entries) in byShard {
            let event = WebhookDeliveredEvent(positions: SeqRanges(entries.map(\.seq)), attempts: 0, httpStatus: 0, latencyMicroseconds: 0)
            Task { [logger] in
                do {
                    try await record?(shard, .webhookDelivered(event))
                } catch {
                    logger.warning("skipped callbacks not recorded", metadata: ["shard.id": "\(shard)", "error": "\(error)"])
                }
            }
        }
    }

    private func post(_ batch: WebhookBatch, settings: WebhookSettings) async {
        let started = ContinuousClock.now
        var status = 0
        do {
            status = try await send(batch, settings: settings)
        } catch {
            logger.debug("callback failed", metadata: ["webhook.delivery": "\(batch.delivery)", "error": "\(error)"])
        }
        let elapsed = ContinuousClock.now - started
        let success = (200..<300).contains(status)
        metrics.record(success: success, lane: batch.lane, latency: elapsed)
        statistics.withLock {
            success ? ($0.requestsSucceeded += 1) : ($0.requestsFailed += 1)
            $0.requests[CallbackRequestKey(result: success ? "success" : "failure", type: batch.lane.callbackType), default: 0] += 1
        }
        scheduler.finished(batchID: batch.id, success: success, now: clock(), settings: settings)
        publishStats()
        wake.yield()
        guard success else { return }
        let (seconds, attoseconds) = elapsed.components
        let event = WebhookDeliveredEvent(
            positions: SeqRanges(batch.entries.map(\.seq)), attempts: batch.attempt, httpStatus: status,
            latencyMicroseconds: seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        do {
            try await hooks.withLock { $0.record }?(batch.shard, .webhookDelivered(event))
        } catch {
            // Not recorded: the entries are posted again after a restart (a duplicate the spec allows).
            logger.warning("webhook-delivered not logged", metadata: ["shard.id": "\(batch.shard)", "error": "\(error)"])
        }
    }

    /// One HTTP attempt; returns the status code (any code: the caller decides success).
    private nonisolated func send(_ batch: WebhookBatch, settings: WebhookSettings) async throws -> Int {
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Courier/\(configuration.version)")
        request.headers.add(name: "X-Courier-Delivery", value: batch.delivery)
        request.headers.add(name: "X-Courier-Attempt", value: "\(batch.attempt)")
        request.body = .bytes(WebhookPayload.body(batch, settings: settings).serialized())
        if let pem = settings.trustedCAPEM, settings.url.lowercased().hasPrefix("https:") {
            request.tlsConfiguration = try trustConfiguration(pem)
        }
        let response = try await client.execute(request, timeout: Self.timeAmount(configuration.timeout))
        _ = try? await response.body.collect(upTo: 64 << 10)  // the body is ignored; read it so the connection is reusable
        return Int(response.status.code)
    }

    /// A client TLS configuration trusting the system store plus the uploaded CA bundle, parsed once per
    /// bundle (webhooks.md §1). A bundle NIOSSL cannot read fails the attempt, like an invalid chain.
    nonisolated func trustConfiguration(_ pem: String) throws -> TLSConfiguration {
        if let cached = trustCache.withLock({ $0?.pem == pem ? $0?.configuration : nil }) { return cached }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))]
        trustCache.withLock { $0 = (pem, tls) }
        return tls
    }

    private func publishStats() {
        let (queued, inFlight, waiting) = (scheduler.pendingCount + parked, scheduler.inFlightCount, scheduler.waitingCount)
        metrics.queueSize.record(queued)
        statistics.withLock {
            $0.queueSize = queued
            $0.inFlight = inFlight
            $0.waitingRetry = waiting
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// `callback_requests{result,type}`, `callback_queue_size`, `courier_webhook_latency_seconds`.
struct WebhookMetrics: Sendable {
    let queueSize = Gauge(label: "callback_queue_size")
    let latency = Metrics.Timer(label: "courier_webhook_latency_seconds")
    let requests: [String: Counter] = {
        var counters: [String: Counter] = [:]
        for result in ["success", "failure"] {
            for type in ["inbound_message", "status_change", "services"] {
                counters[result + type] = Counter(label: "callback_requests", dimensions: [("result", result), ("type", type)])
            }
        }
        return counters
    }()

    func record(success: Bool, lane: OutboxLane, latency duration: Duration) {
        requests[(success ? "success" : "failure") + lane.callbackType]?.increment()
        latency.recordNanoseconds(Int64(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000))
    }
}
