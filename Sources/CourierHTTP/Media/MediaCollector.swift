import CourierCore
import Logging

/// Runs media GC (api.md §11.2) one run at a time: a `PUT` while a run is in progress joins it.
public actor MediaCollector {
    /// The outcome of a run, for the completion callback and stats.
    public struct Result: Hashable, Sendable {
        public var runID: String
        public var status: String
        public var itemsDeleted: Int
        public var error: String?
    }

    /// Files not uploaded, received or used by a send for this long are collected.
    public static let unusedFor: Int64 = 30 * 86_400 * 1_000_000

    private let store: MediaStore
    private let clock: @Sendable () -> Timestamp
    private let logger: Logger
    /// Ids never collected (the profile photo), asked at the start of each run.
    private let exempt: @Sendable () async -> Set<String>
    private var onComplete: @Sendable (Result) async -> Void
    private var running: Task<Void, Never>? = nil
    private var runs = 0
    public private(set) var lastResult: Result? = nil

    public init(
        store: MediaStore, clock: @escaping @Sendable () -> Timestamp, logger: Logger,
        exempt: @escaping @Sendable () async -> Set<String> = { [] },
        onComplete: @escaping @Sendable (Result) async -> Void = { _ in }
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.exempt = exempt
        self.onComplete = onComplete
    }

    public var isRunning: Bool { running != nil }

    /// Replaces what runs after each run (the node queues the completion callback here).
    public func onComplete(_ handler: @escaping @Sendable (Result) async -> Void) { onComplete = handler }

    /// Starts a run unless one is in progress; returns at once.
    public func start() {
        guard running == nil else { return }
        runs += 1
        let runID = "media-gc-" + String(runs).leftPadded(to: 6)
        let cutoff = Timestamp(microseconds: clock().microseconds - Self.unusedFor)
        logger.info("media GC started", metadata: ["gc.run": "\(runID)"])
        running = Task { [store, exempt] in
            let result: Result
            do {
                let deleted = try await store.collect(usedBefore: cutoff, exempt: await exempt())
                result = Result(runID: runID, status: "complete", itemsDeleted: deleted)
            } catch {
                result = Result(runID: runID, status: "failed", itemsDeleted: 0, error: "\(error)")
            }
            await self.finished(result)
        }
    }

    /// Waits for the run in progress, if any (tests, shutdown).
    public func waitIdle() async {
        while let running {
            await running.value
            if self.running == running { break }
        }
    }

    private func finished(_ result: Result) async {
        running = nil
        lastResult = result
        logger.info(
            "media GC ended",
            metadata: ["gc.run": "\(result.runID)", "gc.status": "\(result.status)", "gc.items_deleted": "\(result.itemsDeleted)"])
        await onComplete(result)
    }
}
