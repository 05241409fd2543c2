import CourierCore
import CourierLog
import Dispatch
import Foundation
import Logging
import Synchronization

/// Ships a node's committed records to PostgreSQL (eventlog.md §6): one dedicated thread with its own
/// connection, batches of ≤ 10 000 records or 4 MiB per transaction via binary COPY, idempotent on
/// (shard, seq), fenced by the shard map's epoch, with the watermark advanced in the same transaction.
/// After an outage it reconnects with backoff (100 ms doubling to 5 s) and catches up in order.
public final class Replicator: Sendable {
    public struct Configuration: Sendable {
        /// `"<node name>:<node id>"`, recorded with watermarks and divergences.
        public var nodeKey: String
        public var maximumBatchRecords = 10_000
        public var maximumBatchBytes = 4 << 20
        public var initialBackoff: Duration = .milliseconds(100)
        public var maximumBackoff: Duration = .seconds(5)
        /// The longest the thread sleeps without a commit notification.
        public var pollInterval: Duration = .milliseconds(100)
        /// The shard count recorded when this node first claims a stream in the shard map.
        public var shardCount = 1
        /// While catching up (full batches), the `messages` projection waits, unless it falls this many
        /// records behind: events first, since they are what a failover replays.
        public var maximumProjectionLag: UInt64 = 1_000_000

        public init(nodeKey: String) { self.nodeKey = nodeKey }
    }

    let log: any EventLog
    let database: DatabaseConfiguration
    let configuration: Configuration
    let logger: Logger
    let clock: @Sendable () -> Timestamp
    let waiters = ReplicationWaiters()
    let statusBox = Mutex(ReplicationStatus())
    let metrics = ReplicationMetrics()
    private let wakeSignal = DispatchSemaphore(value: 0)
    private let control = Mutex<(stopping: Bool, finished: [CheckedContinuation<Void, Never>], done: Bool)>((false, [], false))

    public init(
        log: any EventLog, database: DatabaseConfiguration, configuration: Configuration,
        clock: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.log = log
        self.database = database
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "courier-repl"
        thread.start()
    }

    /// New records were committed: ship them now rather than at the next poll.
    public func wake() { wakeSignal.signal() }

    public var status: ReplicationStatus { statusBox.withLock { $0 } }

    /// Returns once PostgreSQL has committed (shard, seq); throws after `timeout` or if the stream stopped.
    public func waitReplicated(shard: UInt16, seq: UInt64, timeout: Duration) async throws {
        try await waiters.wait(shard: shard, seq: seq, timeout: timeout)
    }

    /// Returns once every local record is replicated and folded into the `messages` projection
    /// (tests, benchmarks); throws after `timeout`.
    public func waitProjectionCaughtUp(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let status = self.status
            let replicated = log.streams().allSatisfy { stream in (status.streams[stream.shard]?.replicatedSeq ?? 0) >= stream.lastSeq }
            if replicated && status.projectionLag == 0 && status.connected { return }
            guard ContinuousClock.now < deadline else {
                throw StoreError(.query, "the messages projection did not catch up within \(timeout) (\(status.projectionLag) records behind)")
            }
            wake()
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops after the batch in flight; waiting appenders get an error.
    public func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = control.withLock { control in
                control.stopping = true
                if control.done { return true }
                control.finished.append(continuation)
                return false
            }
            if done { continuation.resume() } else { wakeSignal.signal() }
        }
    }

    private var stopping: Bool { control.withLock { $0.stopping } }

    private func run() {
        var backoff = configuration.initialBackoff
        var session: ReplicationSession? = nil
        while !stopping {
            do {
                if session == nil {
                    session = try ReplicationSession(replicator: self)
                    statusBox.withLock {
                        $0.connected = true
                        $0.lastError = nil
                    }
                    logger.info("replication connected", metadata: ["db": "\(database.displayName)"])
                    backoff = configuration.initialBackoff
                }
                let shipped = try session!.shipPending()
                waiters.expire(now: .now)
                var projected = false
                if !session!.catchingUp || session!.projectionLag > configuration.maximumProjectionLag {
                    projected = try session!.projectPending()
                }
                if !shipped && !projected { _ = wakeSignal.wait(timeout: .now() + .milliseconds(Int(configuration.pollInterval.milliseconds))) }
            } catch {
                session = nil
                statusBox.withLock {
                    $0.connected = false
                    $0.lastError = "\(error)"
                }
                logger.warning("replication interrupted; retrying", metadata: ["error": "\(error)", "retry.ms": "\(backoff.milliseconds)"])
                waiters.expire(now: .now)
                refreshStatus()
                sleepExpiring(backoff)
                backoff = min(backoff * 2, configuration.maximumBackoff)
            }
        }
        session = nil
        waiters.failAll(StoreError(.closed, "replication stopped"))
        let finished = control.withLock { control in
            control.done = true
            defer { control.finished = [] }
            return control.finished
        }
        for continuation in finished { continuation.resume() }
    }

    /// Recomputes per-stream lag from the local log against the known watermarks (also while
    /// disconnected, when the lag is what operators most need to see).
    func refreshStatus(watermarks: [UInt16: UInt64]? = nil, stopped: [UInt16: String]? = nil) {
        let now = clock()
        let previous = statusBox.withLock { $0.streams }
        var streams: [UInt16: ReplicationStatus.Stream] = [:]
        for stream in log.streams() {
            let watermark = watermarks?[stream.shard] ?? previous[stream.shard]?.replicatedSeq ?? 0
            var lag = 0.0
            if stream.lastSeq > watermark, let oldest = try? log.read(shard: stream.shard, fromSeq: watermark + 1, limit: 1).first {  // unreadable: lag unknown, shown as 0
                lag = max(0, Double(now.microseconds - oldest.timestamp.microseconds) / 1_000_000)
            }
            streams[stream.shard] = ReplicationStatus.Stream(
                shard: stream.shard, replicatedSeq: watermark, lastSeq: stream.lastSeq, lagSeconds: lag,
                stoppedReason: stopped?[stream.shard] ?? previous[stream.shard]?.stoppedReason)
        }
        statusBox.withLock { $0.streams = streams }
        for stream in streams.values { metrics.lag(shard: stream.shard, events: stream.lagEvents, seconds: stream.lagSeconds) }
        let connected = statusBox.withLock { $0.connected }
        metrics.connected.record(connected ? 1 : 0)
        metrics.connections.record(connected ? 1 : 0)
    }

    /// Sleeps through a backoff while still failing expired ack waiters on time.
    private func sleepExpiring(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end, !stopping {
            _ = wakeSignal.wait(timeout: .now() + .milliseconds(50))
            waiters.expire(now: .now)
        }
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
