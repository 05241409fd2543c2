import CourierCore
import CourierLog

extension ShardActor {
    /// Logs an inbound message from the network; returns once the `receipt` event is durable.
    public func recordReceipt(_ receipt: ReceiptEvent) async throws {
        _ = try await run(.recordReceipt(receipt))
    }

    /// `PUT /v1/messages/{id}` (api.md §6.4): logs `mark-read` for a known unread inbound message, then
    /// hands the read receipt to the network. Repeats, outbound and unknown ids log nothing.
    public func markRead(_ messageID: String) async throws -> MarkReadOutcome {
        guard case .markRead(let outcome) = try await run(.markRead(messageID: messageID)) else {
            preconditionFailure("mark-read answered with another reply")
        }
        if case .marked(let from) = outcome { configuration.onReadReceipt?(messageID, from) }
        return outcome
    }

    /// Logs a `webhook-delivered` or `webhook-dropped` event from the dispatcher.
    public func recordWebhook(_ event: Event) async throws {
        _ = try await run(.recordWebhook(event))
    }

    /// Callbacks still owed, in seq order (after replay they go to the dispatcher).
    public func pendingOutbox() -> [OutboxEntry] { state.webhooks.pendingEntries }

    /// Callbacks still owed whose events are acknowledged (released to the dispatcher), in seq order: what
    /// the dispatcher reads back when a webhook URL is set after entries waited without one.
    public func acknowledgedOutbox() -> [OutboxEntry] {
        let held = heldOutbox.first?.seq ?? .max
        return Array(state.webhooks.outbox.prefix { $0.seq < held })
    }

    /// When the oldest pending callback's event was logged, nil when none is owed (the per-shard age in
    /// `/v1/stats/app/internal`, webhooks.md §5).
    public func oldestPendingOutbox() -> Timestamp? {
        state.webhooks.outbox.first?.createdAt
    }

    func appendedReply(_ command: ShardCommand) -> ShardReply {
        switch command {
        case .recordReceipt(let receipt): .accepted(messageID: receipt.messageID, replay: false)
        case .markRead(let messageID): .markRead(.marked(from: state.webhooks.inbound[messageID]?.from ?? ""))
        default: .accepted(messageID: "", replay: false)
        }
    }

    /// Hands every held entry up to `seq` to the dispatcher: acknowledging a seq acknowledges every
    /// earlier one of the stream (commits and replication go in seq order).
    func releaseOutbox(upTo seq: UInt64) {
        let count = heldOutbox.prefix { $0.seq <= seq }.count
        guard count > 0 else { return }
        let released = Array(heldOutbox.prefix(count))
        heldOutbox.removeFirst(count)
        configuration.onOutbox?(released)
    }

    /// For appends that bypass `append(_:for:)` (batched statuses): their entries go out once the last of
    /// them is acknowledged. The wait runs off the caller, so the gateway's receipt loop never waits for
    /// PostgreSQL; a later acknowledgement releases them too.
    func acknowledgeOutbox(_ position: LogPosition?) {
        guard let position, let acknowledgement = configuration.acknowledgement else { return }
        Task {
            // Not confirmed in time: the entries stay held until a later acknowledgement, or a restart.
            guard (try? await acknowledgement(position)) != nil else { return }
            self.releaseOutbox(upTo: position.seq)
        }
    }
}

extension ShardActor {
    /// Queues a service-result callback (webhooks.md §7) as a `gc result` event on this stream; the
    /// outbox posts it once the event is durable (and acknowledged).
    public func recordServiceResult(runID: String, outcome: String, messagesDeleted: UInt64, document: JSONValue) async throws {
        let event = GCEvent(
            phase: .result, runID: runID, retentionMicroseconds: 0, messagesDeleted: messagesDeleted, outcome: outcome)
        var withDocument = event
        withDocument.document = document.serialized()
        _ = try await run(.recordWebhook(.gc(withDocument)))
    }
}
