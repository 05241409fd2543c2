import CourierCore
import CourierLog
import Logging

/// The actor owning one shard: runs commands through the pure `ShardState`, appends the events it
/// decides on, awaits durability, then applies the records in seq order and performs their effects.
public actor ShardActor {
    public struct Configuration: Sendable {
        /// Appends pending on this shard before sends get 503/1016 (`COURIER_SHARD_QUEUE_LIMIT`).
        public var queueLimit: Int = 10_000
        /// Awaited after the local commit, before the caller hears success: in
        /// `replication_ack=replicated` mode it waits for PostgreSQL (eventlog.md §3). nil: `local`.
        public var acknowledgement: (@Sendable (LogPosition) async throws -> Void)? = nil
        /// Where snapshots go; nil takes none (replay then starts at seq 1).
        public var snapshots: SnapshotStore? = nil
        /// A snapshot every this many applied events (`COURIER_SNAPSHOT_EVERY_EVENTS`).
        public var snapshotEveryEvents: UInt64 = 100_000
        /// Gets outbox entries once their events are acknowledged, in seq order (webhooks.md §5).
        public var onOutbox: (@Sendable ([OutboxEntry]) -> Void)? = nil
        /// Hands a read receipt for an inbound message to the network once its `mark-read` is acknowledged.
        public var onReadReceipt: (@Sendable (_ messageID: String, _ to: String) -> Void)? = nil
        /// Fetches a send's `link` media before it goes to the network; returns nil when it could be
        /// fetched, else the failure's time (the send then gets a `failed` status, 400 "Media download
        /// error", webhooks.md §3). nil: links are handed over unfetched.
        public var fetchMediaLink: (@Sendable (_ link: MediaLink, _ kind: String) async -> Timestamp?)? = nil
        /// Records a status that arises on this shard after a wait (a failed media fetch) on whichever
        /// shard owns its recipient by then: a shard count change may have moved the recipient meanwhile.
        /// `ShardDirectory` sets it; nil records it here.
        public var recordStatusOnOwner: (@Sendable (StatusEvent) async throws -> Void)? = nil

        public init() {}
    }

    public nonisolated let shard: UInt16
    let log: any EventLog
    let epoch: UInt64
    let configuration: Configuration
    let logger: Logger
    private let onDispatch: @Sendable (_ messageID: String, _ to: String) -> Void
    var state: ShardState
    /// Durable records that arrived before a lower seq was applied (appenders resume in any order), with
    /// the event each was encoded from, so applying it needs no decoding.
    var reorder: [UInt64: (record: Record, event: Event)] = [:]
    /// Dispatches decided by applied records, held until the appender's acknowledgement succeeded
    /// (eventlog.md §3: no dispatch before acknowledgement).
    private var heldDispatches: [UInt64: (messageID: String, to: String, link: MediaLink?)] = [:]
    /// Acknowledged seqs not yet applied (a lower seq's appender had not resumed): their dispatch goes
    /// out as soon as they are applied.
    private var acknowledgedUnapplied: Set<UInt64> = []
    /// Outbox entries of applied records, held until acknowledged, in seq order.
    var heldOutbox: [OutboxEntry] = []
    /// The seq of the newest snapshot written or loaded, and whether a write is in flight.
    var snapshotSeq: UInt64 = 0
    var snapshotInFlight = false
    /// The record time of the newest snapshot, and whether the last applied record is a `snapshot` record
    /// (which alone never makes another one due).
    var snapshotTime = Timestamp.zero
    var lastAppliedIsSnapshot = false
    var pendingAppends = 0 {
        didSet { metrics.queueDepth.record(pendingAppends) }
    }
    private let metrics: ShardMetrics

    public init(
        shard: UInt16, log: any EventLog, epoch: UInt64, configuration: Configuration = Configuration(),
        logger: Logger, onDispatch: @escaping @Sendable (_ messageID: String, _ to: String) -> Void = { _, _ in }
    ) {
        self.shard = shard
        self.log = log
        self.epoch = epoch
        self.configuration = configuration
        self.logger = logger
        self.onDispatch = onDispatch
        self.state = ShardState(shard: shard)
        self.metrics = ShardMetrics(shard: shard)
    }

    /// Rebuilds the state from the newest valid snapshot (falling back to older ones when damaged),
    /// then feeds every later logged record to the state machine, the same path live events take.
    /// Effects are not performed: they happened before the restart. Returns the records replayed.
    public func replay() throws -> Int {
        if let store = configuration.snapshots, state.appliedSeq == 0 {
            for snapshot in store.snapshots(shard: shard) {
                do {
                    let (header, payload) = try store.load(snapshot)
                    let restored = try ShardState(snapshot: payload)
                    guard restored.shard == shard, restored.appliedSeq == header.seq else { continue }
                    state = restored
                    snapshotSeq = header.seq
                    snapshotTime = restored.lastTimestamp
                    break
                } catch {
                    logger.warning(
                        "snapshot unusable; trying an older one",
                        metadata: ["log.snapshot": "\(snapshot.path)", "error": "\(error)"])
                }
            }
        }
        var count = 0
        try log.forEachRecord(shard: shard, fromSeq: state.appliedSeq + 1) { record in
            _ = try state.apply(record)
            count += 1
        }
        return count
    }

    /// The state as of the last applied record (tests and stats).
    public var snapshot: ShardState { state }

    /// Sends a message: 201 semantics, i.e. returns once the `send` event is durable.
    public func send(_ request: SendRequest) async throws -> ShardReply {
        try await run(.send(request))
    }

    /// Logs a receipt from the network.
    public func recordStatus(_ status: StatusEvent) async throws {
        metrics.received(status.status)
        _ = try await run(.recordStatus(status))
    }

    /// Logs many receipts with one append (the gateway hands them over in batches).
    public func recordStatuses(_ statuses: [StatusEvent]) async throws {
        guard statuses.count > 1 else {
            if let status = statuses.first { try await recordStatus(status) }
            return
        }
        for status in statuses { metrics.received(status.status) }
        let positions = try await appendAndStage(statuses.map { .status($0) })
        try applyReadyRecords()
        acknowledgeOutbox(positions.last)
    }

    /// Hands every send still owed to the network to the gateway again (after replay).
    public func redispatchPending() -> Int {
        let pending = state.undispatched
        for message in pending { onDispatch(message.messageID, message.to) }
        return pending.count
    }

    func run(_ command: ShardCommand) async throws -> ShardReply {
        var reply: ShardReply? = nil
        for effect in state.handle(command) {
            switch effect {
            case .reply(let answer):
                reply = answer
            case .append(let event):
                try await append(event, for: command)
                switch command {
                case .send(let request):
                    metrics.accepted(type: request.type)
                    reply = .accepted(messageID: request.messageID, replay: false)
                case .recordStatus(let status):
                    reply = .accepted(messageID: status.messageID, replay: false)
                case .recordReceipt, .markRead, .recordWebhook:
                    reply = appendedReply(command)
                }
            case .dispatch, .outbox:
                preconditionFailure("handle() never dispatches; apply() does")
            }
        }
        guard let reply else { preconditionFailure("shard \(shard): command \(command) produced no reply") }
        return reply
    }

    private func append(_ event: Event, for command: ShardCommand) async throws {
        guard pendingAppends < configuration.queueLimit else {
            metrics.rejected.increment()
            state.appendFailed(command)
            throw ShardError(.overloaded, "shard \(shard) has \(pendingAppends) appends pending")
        }
        pendingAppends += 1
        let payload = event.encodedPayload()
        let position: LogPosition
        do {
            position = try await log.append(LogEntry(shard: shard, epoch: epoch, kind: event.kind, payload: payload))
        } catch {
            pendingAppends -= 1
            state.appendFailed(command)
            let logError = error as? LogError
            switch logError?.code {
            case .diskFull?: throw ShardError(.overloaded, logError!.message)
            case .closed?: throw ShardError(.stopped, "the node is shutting down")
            default: throw ShardError(.storage, logError?.message ?? "\(error)")
            }
        }
        pendingAppends -= 1
        // Reentrancy: other commands ran while this one awaited; records are applied strictly in seq order.
        stage(event, payload: payload, at: position)
        try applyReadyRecords()
        if let acknowledgement = configuration.acknowledgement {
            do {
                try await acknowledgement(position)
            } catch {
                // Not acknowledged: the send stays owed to the network and is dispatched after a restart.
                heldDispatches[position.seq] = nil
                throw ShardError(.notReplicated, "PostgreSQL did not confirm shard \(shard) seq \(position.seq) in time")
            }
        }
        // Applied (by this task or, reentrantly, another) and acknowledged: now it may go out.
        if let dispatch = heldDispatches.removeValue(forKey: position.seq) {
            performDispatch(dispatch.messageID, to: dispatch.to, link: dispatch.link)
        } else if state.appliedSeq < position.seq {
            acknowledgedUnapplied.insert(position.seq)
        }
        releaseOutbox(upTo: position.seq)
    }

    /// Hands an acknowledged send to the network; a `link` is fetched first, and a failed fetch logs a
    /// `failed` status instead (the message is not handed over).
    private func performDispatch(_ messageID: String, to: String, link: MediaLink?) {
        guard let link, let fetch = configuration.fetchMediaLink,
            let type = state.messages[messageID]?.type
        else {
            onDispatch(messageID, to)
            return
        }
        let onDispatch = self.onDispatch
        Task { [self] in
            guard let failedAt = await fetch(link, type) else {
                onDispatch(messageID, to)
                return
            }
            let errors: JSONValue = [["code": 400, "title": .string(APIProblem.title(of: 400))]]
            let status = StatusEvent(
                messageID: messageID, waID: to, status: .failed, networkTimestamp: failedAt, errors: errors.serialized())
            do {
                if let recordOnOwner = configuration.recordStatusOnOwner {
                    try await recordOnOwner(status)
                } else {
                    try await recordStatus(status)
                }
            } catch {
                // Not logged: the send stays owed to the network and is tried again after a restart.
                logger.warning("media download failure not logged", metadata: ["message.id": "\(messageID)", "error": "\(error)"])
            }
        }
    }

    /// Appends `events` in one batch and puts them in the reorder buffer; the caller then applies what is
    /// ready (`applyReadyRecords`). For the appends whose failure needs no more than stopped/storage.
    func appendAndStage(_ events: [Event]) async throws -> [LogPosition] {
        let payloads = events.map { $0.encodedPayload() }
        let positions: [LogPosition]
        do {
            positions = try await log.append(
                zip(events, payloads).map { LogEntry(shard: shard, epoch: epoch, kind: $0.kind, payload: $1) })
        } catch {
            throw ShardError((error as? LogError)?.code == .closed ? .stopped : .storage, "\(error)")
        }
        // Reentrancy: applied in seq order with whatever other appenders left in the reorder buffer.
        for (index, position) in positions.enumerated() { stage(events[index], payload: payloads[index], at: position) }
        return positions
    }

    /// Puts a durable event in the reorder buffer; `applyReadyRecords` applies it in seq order.
    func stage(_ event: Event, payload: [UInt8], at position: LogPosition) {
        reorder[position.seq] = (
            Record(shard: shard, seq: position.seq, epoch: epoch, timestamp: position.timestamp, kind: event.kind, payload: payload),
            event
        )
    }

    func applyReadyRecords() throws {
        while let (record, event) = reorder.removeValue(forKey: state.appliedSeq + 1) {
            lastAppliedIsSnapshot = record.kindCode == EventKind.snapshot.rawValue
            for effect in try state.apply(record, decoded: event) {
                if case .dispatch(let messageID, let to, let link) = effect {
                    if acknowledgedUnapplied.remove(record.seq) != nil {
                        performDispatch(messageID, to: to, link: link)
                    } else {
                        heldDispatches[record.seq] = (messageID, to, link)
                    }
                }
                if case .outbox(let entry) = effect { heldOutbox.append(entry) }
            }
        }
        // Without an acknowledgement step the local commit is the acknowledgement (eventlog.md §3).
        if configuration.acknowledgement == nil { releaseOutbox(upTo: state.appliedSeq) }
        snapshotIfDue()
    }

    /// eventlog.md §7: a snapshot after 10 minutes of activity (record time, from the log's injected clock).
    public static let snapshotIntervalMicroseconds: Int64 = 600_000_000

    /// Starts a periodic snapshot every `snapshotEveryEvents` records or 10 minutes of activity:
    /// written off the actor, then logged as a `snapshot` record (`ShardActor+GC.swift`).
    private func snapshotIfDue() {
        guard configuration.snapshots != nil, !snapshotInFlight, !lastAppliedIsSnapshot, state.appliedSeq > snapshotSeq
        else { return }
        if snapshotTime == .zero { snapshotTime = state.lastTimestamp }
        guard state.appliedSeq >= snapshotSeq + configuration.snapshotEveryEvents
            || state.lastTimestamp.microseconds - snapshotTime.microseconds >= Self.snapshotIntervalMicroseconds
        else { return }
        snapshotInFlight = true
        Task { await periodicSnapshot() }
    }

    /// Waits until no snapshot write is in flight (tests, shutdown).
    public func waitForSnapshots() async {
        while snapshotInFlight { await Task.yield() }
    }
}
