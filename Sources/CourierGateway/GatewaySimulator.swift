import CourierCore
import Logging
import Synchronization

/// The simulated WhatsApp network, embedded in `serve --role all` (api.md §16): takes dispatched
/// messages, answers each with receipts per its `ReceiptPlan`, and can be taken offline.
/// Idempotent on message id: a re-dispatched send is delivered once.
public final class GatewaySimulator: Sendable {
    /// A receipt for Courier to log as a `status` event.
    public struct Receipt: Hashable, Sendable {
        public var messageID: String
        public var waID: String
        public var status: MessageStatus
        public var timestamp: Timestamp
        public var errorCode: Int?
        /// The conversation a `sent`/`delivered`/`read` receipt is billed in (nil on `failed`).
        public var conversationID: String? = nil
    }

    /// A message the network received (`GET /gateway/messages?to=`).
    public struct Delivered: Hashable, Sendable {
        public var messageID: String
        public var to: String
        public var at: Timestamp
    }

    public let configuration: GatewayConfiguration
    /// Registration codes, certificates, identities and templates (api.md §16).
    public let registry: GatewayRegistry
    /// Users' messages to the business and the read receipts for them.
    public let inbound: GatewayInbound
    /// How many message ids the network remembers for idempotency (at most twice this many are held).
    static let rememberedMessages = 1_000_000
    private let clock: @Sendable () -> Timestamp
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger
    private let state = Mutex<State>(State())

    /// One receipt waiting for its time. Receipts of the same step position share one delay, so each
    /// position's queue is in due order and the timer loop only looks at queue heads.
    private struct Scheduled {
        var due: ContinuousClock.Instant
        var messageID: String
        var waID: String
        var steps: [ReceiptPlan.Step]
        var position: Int
    }

    private struct State {
        var online = true
        /// When the sessions were dropped (`/gateway/offline`); nil while online.
        var offlineSince: ContinuousClock.Instant? = nil
        /// Message ids already dispatched, in two generations so memory stays bounded on a long run:
        /// when `seen` fills, it becomes `seenBefore` and a new generation starts.
        var seen: Set<String> = []
        var seenBefore: Set<String> = []
        /// The newest received messages (`GET /gateway/messages`), bounded likewise.
        var delivered: [Delivered] = []
        var receiptHandler: (@Sendable ([Receipt]) async -> Void)?
        /// Messages dispatched while offline, delivered when the network comes back.
        var backlog: [(messageID: String, to: String)] = []
        /// Per step position (sent, delivered, read), a FIFO with its head index.
        var queues: [[Scheduled]] = [[], [], []]
        var heads: [Int] = [0, 0, 0]
        var loopRunning = false
        var loopWaiter: CheckedContinuation<Void, Never>?
    }

    public init(
        configuration: GatewayConfiguration = GatewayConfiguration(), clock: @escaping @Sendable () -> Timestamp,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        logger: Logger
    ) {
        self.configuration = configuration
        self.registry = GatewayRegistry(configuration: configuration, clock: clock, logger: logger)
        self.inbound = GatewayInbound(seed: configuration.seed, clock: clock)
        self.clock = clock
        self.sleep = sleep
        self.logger = logger
    }

    /// Where receipts go, in batches of everything due at once (set once the shards exist: they and
    /// the gateway refer to each other).
    public func onReceipts(_ handler: @escaping @Sendable ([Receipt]) async -> Void) {
        state.withLock { $0.receiptHandler = handler }
    }

    /// Whether `waID` is on the simulated network (numbers ending in `--unknown-suffix` are not).
    public func isOnNetwork(_ waID: String) -> Bool {
        guard let suffix = configuration.unknownSuffix, !suffix.isEmpty else { return true }
        return !waID.hasSuffix(suffix)
    }

    /// `connected` or `disconnected`, for `/v1/health`.
    public var status: String { state.withLock { $0.online } ? "connected" : "disconnected" }

    /// How long the session has been lost; nil while connected.
    public var sessionLostFor: Duration? { state.withLock { $0.offlineSince }.map { ContinuousClock.now - $0 } }

    /// Hands a durable send to the network. Repeats of a message id are ignored.
    public func dispatch(messageID: String, to waID: String) {
        let plan = ReceiptPlan.plan(messageID: messageID, to: waID, configuration: configuration)
        let now = ContinuousClock.now
        let (startLoop, waiter): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
            guard !state.seenBefore.contains(messageID), state.seen.insert(messageID).inserted else { return (false, nil) }
            if state.seen.count > Self.rememberedMessages {
                state.seenBefore = state.seen
                state.seen = []
            }
            guard state.online else {
                state.backlog.append((messageID, waID))
                return (false, nil)
            }
            state.delivered.append(Delivered(messageID: messageID, to: waID, at: clock()))
            if state.delivered.count > 2 * Self.rememberedMessages / 100 {
                state.delivered.removeFirst(state.delivered.count - Self.rememberedMessages / 100)
            }
            state.queues[0].append(
                Scheduled(due: now + plan.steps[0].delay, messageID: messageID, waID: waID, steps: plan.steps, position: 0))
            let start = !state.loopRunning
            state.loopRunning = true
            defer { state.loopWaiter = nil }
            return (start, state.loopWaiter)
        }
        waiter?.resume()
        if startLoop { Task { await runTimerLoop() } }
    }

    /// One loop for all receipts: take everything due, hand it over as one batch, sleep until the
    /// next head is due, or wait for a dispatch when nothing is scheduled.
    private func runTimerLoop() async {
        while true {
            let now = ContinuousClock.now
            let (due, nextDue, handler) = state.withLock { state in
                var due: [Scheduled] = []
                var nextDue: ContinuousClock.Instant? = nil
                for position in 0..<state.queues.count {
                    while state.heads[position] < state.queues[position].count,
                        state.queues[position][state.heads[position]].due <= now
                    {
                        let item = state.queues[position][state.heads[position]]
                        state.heads[position] += 1
                        due.append(item)
                        if item.position + 1 < item.steps.count {
                            let next = item.position + 1
                            state.queues[next].append(
                                Scheduled(
                                    due: item.due + item.steps[next].delay, messageID: item.messageID, waID: item.waID,
                                    steps: item.steps, position: next))
                        }
                    }
                    // Reclaim consumed slots now and then so the queues do not grow forever.
                    if state.heads[position] > 4096 {
                        state.queues[position].removeFirst(state.heads[position])
                        state.heads[position] = 0
                    }
                    if state.heads[position] < state.queues[position].count {
                        let head = state.queues[position][state.heads[position]].due
                        nextDue = nextDue.map { min($0, head) } ?? head
                    }
                }
                return (due, nextDue, state.receiptHandler)
            }
            if !due.isEmpty, let handler {
                let timestamp = clock()
                await handler(due.map { item in
                    let step = item.steps[item.position]
                    return Receipt(
                        messageID: item.messageID, waID: item.waID, status: step.status, timestamp: timestamp,
                        errorCode: step.errorCode,
                        conversationID: step.errorCode == nil ? ReceiptPlan.conversationID(to: item.waID, seed: configuration.seed) : nil)
                })
            }
            if let nextDue {
                if due.isEmpty {
                    do { try await sleep(nextDue - ContinuousClock.now) } catch { return }  // cancelled: stopping
                }
                continue
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    let pending = (0..<state.queues.count).contains { state.heads[$0] < state.queues[$0].count }
                    if !pending { state.loopWaiter = continuation }
                    return pending
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// What the network received for `to` (all when nil).
    public func received(to waID: String? = nil) -> [Delivered] {
        state.withLock { state in state.delivered.filter { waID == nil || $0.to == waID } }
    }

    /// `POST /gateway/users/{wa_id}/delete/{id}`: the recipient deleted a message it received; Courier gets a
    /// `deleted` receipt. False when the network never delivered that message to `waID`.
    public func recipientDeleted(messageID: String, by waID: String) async -> Bool {
        let (known, handler) = state.withLock { state in
            (state.delivered.contains { $0.messageID == messageID && $0.to == waID }, state.receiptHandler)
        }
        guard known else { return false }
        await handler?([Receipt(messageID: messageID, waID: waID, status: .deleted, timestamp: clock(), errorCode: nil)])
        return true
    }

    /// `POST /gateway/offline` and `/online`: offline queues dispatches; online delivers the backlog.
    public func setOnline(_ online: Bool) {
        let backlog: [(messageID: String, to: String)] = state.withLock { state in
            if state.online != online { state.offlineSince = online ? nil : ContinuousClock.now }
            state.online = online
            guard online else { return [] }
            defer { state.backlog = [] }
            return state.backlog
        }
        logger.info("gateway \(online ? "online" : "offline")", metadata: ["gateway.backlog": "\(backlog.count)"])
        for message in backlog {
            state.withLock { state in
                state.seen.remove(message.messageID)
                state.seenBefore.remove(message.messageID)
            }
            dispatch(messageID: message.messageID, to: message.to)
        }
    }
}
