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
    }

    /// A message the network received (`GET /gateway/messages?to=`).
    public struct Delivered: Hashable, Sendable {
        public var messageID: String
        public var to: String
        public var at: Timestamp
    }

    public let configuration: GatewayConfiguration
    private let clock: @Sendable () -> Timestamp
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger
    private let state = Mutex<State>(State())

    private struct State {
        var online = true
        var seen: Set<String> = []
        var delivered: [Delivered] = []
        var receiptHandler: (@Sendable (Receipt) async -> Void)?
        /// Messages dispatched while offline, delivered when the network comes back.
        var backlog: [(messageID: String, to: String)] = []
    }

    public init(
        configuration: GatewayConfiguration = GatewayConfiguration(), clock: @escaping @Sendable () -> Timestamp,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        logger: Logger
    ) {
        self.configuration = configuration
        self.clock = clock
        self.sleep = sleep
        self.logger = logger
    }

    /// Where receipts go (set once the shards exist: they and the gateway refer to each other).
    public func onReceipt(_ handler: @escaping @Sendable (Receipt) async -> Void) {
        state.withLock { $0.receiptHandler = handler }
    }

    /// `connected` or `disconnected`, for `/v1/health`.
    public var status: String { state.withLock { $0.online } ? "connected" : "disconnected" }

    /// Hands a durable send to the network. Repeats of a message id are ignored.
    public func dispatch(messageID: String, to waID: String) {
        let accepted: Bool? = state.withLock { state in
            guard state.seen.insert(messageID).inserted else { return nil }
            guard state.online else {
                state.backlog.append((messageID, waID))
                return false
            }
            state.delivered.append(Delivered(messageID: messageID, to: waID, at: clock()))
            return true
        }
        guard accepted == true else { return }
        let plan = ReceiptPlan.plan(messageID: messageID, to: waID, configuration: configuration)
        Task { await deliver(plan, messageID: messageID, to: waID) }
    }

    private func deliver(_ plan: ReceiptPlan, messageID: String, to waID: String) async {
        for step in plan.steps {
            do {
                try await sleep(step.delay)
            } catch {
                return  // cancelled: the node is stopping; the status is owed and re-dispatched on restart
            }
            let receipt = Receipt(messageID: messageID, waID: waID, status: step.status, timestamp: clock(), errorCode: step.errorCode)
            guard let handler = state.withLock({ $0.receiptHandler }) else { return }
            await handler(receipt)
        }
    }

    /// What the network received for `to` (all when nil).
    public func received(to waID: String? = nil) -> [Delivered] {
        state.withLock { state in state.delivered.filter { waID == nil || $0.to == waID } }
    }

    /// `POST /gateway/offline` and `/online`: offline queues dispatches; online delivers the backlog.
    public func setOnline(_ online: Bool) {
        let backlog: [(messageID: String, to: String)] = state.withLock { state in
            state.online = online
            guard online else { return [] }
            defer { state.backlog = [] }
            return state.backlog
        }
        logger.info("gateway \(online ? "online" : "offline")", metadata: ["gateway.backlog": "\(backlog.count)"])
        for message in backlog {
            state.withLock { _ = $0.seen.remove(message.messageID) }
            dispatch(messageID: message.messageID, to: message.to)
        }
    }
}
