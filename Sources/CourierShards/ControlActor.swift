import CourierCore
import CourierLog
import Logging

/// The actor owning the control stream's users and tokens: runs commands through the pure `ControlState`,
/// appends the events it decides on, awaits durability, then applies the control records in seq order.
///
/// Slow password hashing runs off the actor (detached tasks), so token checks for other requests never wait
/// behind scrypt. Failed-login limiting is in-memory only (`LoginThrottle`), never logged.
public actor ControlActor {
    public struct Configuration: Sendable {
        /// Failed logins per username and client address (api.md §3.1).
        public var loginThrottle = LoginThrottle.Configuration()
        /// Awaited after the local commit, before the caller hears success: in `replication_ack=replicated`
        /// mode it waits for PostgreSQL (eventlog.md §3). nil: `local`.
        public var acknowledgement: (@Sendable (LogPosition) async throws -> Void)? = nil
        /// Where control snapshots go (stream `control`); nil takes none (replay then starts at seq 1).
        public var snapshots: SnapshotStore? = nil
        /// A snapshot every this many control records (`COURIER_SNAPSHOT_EVERY_EVENTS`), or after
        /// `snapshotEveryInterval` of activity (eventlog.md §7).
        public var snapshotEveryEvents: UInt64 = 100_000
        public var snapshotEveryInterval: Duration = .seconds(600)

        public init() {}
    }

    /// Hashing, verification, policy and token operations (CourierCrypto in production).
    public nonisolated let credentials: CredentialOperations
    let log: any EventLog
    let epoch: UInt64
    let configuration: Configuration
    let clock: @Sendable () -> Timestamp
    let logger: Logger
    var state = ControlState()
    var throttle: LoginThrottle
    /// A real hash that unknown usernames are verified against, so their failed logins take as long as a wrong
    /// password for a known user (no user enumeration by timing). Made on first need.
    var decoyHash: String?
    /// The newest control snapshot written or loaded (seq, record time), and whether a write is in flight.
    var snapshotSeq: UInt64 = 0
    var snapshotTime = Timestamp.zero
    var snapshotInFlight = false
    /// Whether the last applied record is a `snapshot` record (which alone never makes another one due).
    var lastAppliedIsSnapshot = false

    public init(
        log: any EventLog,
        epoch: UInt64 = 1,
        credentials: CredentialOperations,
        configuration: Configuration = Configuration(),
        clock: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) {
        self.log = log
        self.epoch = epoch
        self.credentials = credentials
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.throttle = LoginThrottle(configuration: configuration.loginThrottle)
    }

    /// Replays the control stream, then on a first start (no user yet) bootstraps `admin` / `secret`.
    /// Returns the number of control records replayed.
    public func start() async throws -> Int {
        let replayed = try replay()
        if try await bootstrapIfNeeded() {
            logger.info(
                "created the first-start admin user; its password must be changed at the first login",
                metadata: ["user.name": "\(ControlState.adminUsername)"]
            )
        }
        return replayed
    }

    /// Rebuilds the state from every control record after the last applied one, the same path live records
    /// take. Records other writers put on the control stream (the shard map) are folded past.
    public func replay() throws -> Int {
        if state.appliedSeq == 0 { restoreNewestSnapshot() }
        let before = state.appliedSeq
        try log.forEachRecord(shard: Record.controlShard, fromSeq: state.appliedSeq + 1) { record in
            // Segments before a snapshot may have left the live log: without that snapshot, refuse.
            guard record.seq == state.appliedSeq + 1 else {
                throw ShardError(
                    .storage,
                    "control stream starts at seq \(record.seq) but no usable snapshot covers seq \(state.appliedSeq + 1)")
            }
            try state.apply(record)
            lastAppliedIsSnapshot = record.kindCode == EventKind.snapshot.rawValue
        }
        if snapshotTime == .zero { snapshotTime = state.lastTimestamp }
        return Int(state.appliedSeq - before)
    }

    /// Creates `admin` with the hash of `secret`, flagged must-change, when no user exists yet: as an event, so
    /// replay brings it back. Returns whether it created it.
    public func bootstrapIfNeeded() async throws -> Bool {
        guard state.users.isEmpty else { return false }
        let hash = try await hashOffActor(ControlState.defaultAdminPassword)
        // Reentrancy: another caller may have bootstrapped while this one hashed; `handle` re-checks.
        let before = state.users.isEmpty
        _ = try await run(.bootstrap(adminPasswordHash: hash))
        return before && !state.users.isEmpty
    }

    /// The state as of the last applied record (tests and stats).
    public var snapshot: ControlState { state }

    /// Runs one command: appends its events as one atomic batch, awaits durability, applies, then replies.
    func run(_ command: ControlCommand) async throws -> ControlReply {
        var reply: ControlReply? = nil
        var events: [Event] = []
        for effect in state.handle(command, now: clock()) {
            switch effect {
            case .append(let event): events.append(event)
            case .reply(let answer): reply = answer
            }
        }
        if !events.isEmpty {
            try await append(events, for: command)
        }
        guard let reply else { preconditionFailure("control: command produced no reply") }
        return reply
    }

    private func append(_ events: [Event], for command: ControlCommand) async throws {
        try await append(events) { $0.appendFailed(command) }
    }

    /// Appends `events` as one atomic batch and folds the stream up to them; `undo` forgets what the deciding
    /// command reserved when nothing was logged.
    @discardableResult
    func append(_ events: [Event], undo: (inout ControlState) -> Void) async throws -> [LogPosition] {
        let entries = events.map {
            LogEntry(shard: Record.controlShard, epoch: epoch, kind: $0.kind, payload: $0.encodedPayload())
        }
        let positions: [LogPosition]
        do {
            positions = try await log.append(entries)
        } catch {
            undo(&state)
            let logError = error as? LogError
            switch logError?.code {
            case .diskFull?: throw ShardError(.overloaded, logError!.message)
            case .closed?: throw ShardError(.stopped, "the node is shutting down")
            default: throw ShardError(.storage, logError?.message ?? "\(error)")
            }
        }
        // Reentrancy: other commands, and other writers of the control stream, appended meanwhile. Everything up
        // to our last position is durable, so fold the stream from the log in seq order up to it.
        try catchUp(through: positions[positions.count - 1].seq)
        if let acknowledgement = configuration.acknowledgement {
            do {
                try await acknowledgement(positions[positions.count - 1])
            } catch {
                throw ShardError(
                    .notReplicated,
                    "PostgreSQL did not confirm control seq \(positions[positions.count - 1].seq) in time"
                )
            }
        }
        return positions
    }

    private func catchUp(through seq: UInt64) throws {
        while state.appliedSeq < seq {
            let wanted = Int(min(seq - state.appliedSeq, 10_000))
            let records = try log.read(shard: Record.controlShard, fromSeq: state.appliedSeq + 1, limit: wanted)
            precondition(!records.isEmpty, "control: seq \(state.appliedSeq + 1) ... \(seq) is durable but unreadable")
            for record in records where record.seq <= seq {
                try state.apply(record)
                lastAppliedIsSnapshot = record.kindCode == EventKind.snapshot.rawValue
            }
        }
        snapshotIfDue()
    }

    /// Runs `work` (a password hash or check, tens of milliseconds) on a detached task, off this actor.
    nonisolated func offActor<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await Task.detached { try work() }.value
    }

    nonisolated func hashOffActor(_ password: String) async throws -> String {
        let credentials = credentials
        do {
            return try await offActor { try credentials.hashPassword(password) }
        } catch {
            throw ShardError(.credentials, "hashing a password failed: \(error)")
        }
    }
}
