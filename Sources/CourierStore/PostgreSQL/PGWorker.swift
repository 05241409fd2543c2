import Dispatch
import Foundation
import Synchronization

/// A dedicated OS thread owning one PostgreSQL connection. Jobs run one at a time on that thread;
/// async callers await their result. libpq calls block, so they never run on the cooperative pool or
/// a NIO event loop (STYLE.md §3).
public final class PGWorker: Sendable {
    public let url: String
    private let jobs = Mutex<(items: [@Sendable () -> Void], stopping: Bool)>(([], false))
    private let wake = DispatchSemaphore(value: 0)
    private let idleTimeout: Duration

    /// The connection lives only on the worker thread (opened lazily, reopened after a failure or idle timeout).
    private final class ThreadState: @unchecked Sendable {
        // @unchecked: touched only by the worker thread.
        var connection: PGConnection?
        var lastUsed = ContinuousClock.now
    }
    private let threadState = ThreadState()

    public init(url: String, name: String, idleTimeout: Duration = .seconds(180)) {
        self.url = url
        self.idleTimeout = idleTimeout
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Runs `body` with the connection on the worker thread. A connection error drops the connection,
    /// so the next job reconnects.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job: @Sendable () -> Void = { [self] in
                continuation.resume(with: Result { try withConnection(body) })
            }
            let accepted = jobs.withLock { jobs in
                guard !jobs.stopping else { return false }
                jobs.items.append(job)
                return true
            }
            if accepted {
                wake.signal()
            } else {
                continuation.resume(throwing: StoreError(.closed, "the PostgreSQL worker is stopped"))
            }
        }
    }

    /// Runs blocking work (its own connection handling included) on the worker thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job: @Sendable () -> Void = { continuation.resume(with: Result { try body() }) }
            let accepted = jobs.withLock { jobs in
                guard !jobs.stopping else { return false }
                jobs.items.append(job)
                return true
            }
            if accepted {
                wake.signal()
            } else {
                continuation.resume(throwing: StoreError(.closed, "the PostgreSQL worker is stopped"))
            }
        }
    }

    /// Like `perform`, but blocking the calling thread: for threads that are themselves dedicated (the replicator).
    func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        let state = threadState
        if let connection = state.connection, ContinuousClock.now - state.lastUsed > idleTimeout || !connection.isHealthy {
            state.connection = nil
        }
        let connection = try state.connection ?? PGConnection(url: url)
        state.connection = connection
        state.lastUsed = .now
        do {
            return try body(connection)
        } catch let error as StoreError where error.code == .connection {
            state.connection = nil
            throw error
        }
    }

    public func stop() {
        jobs.withLock { $0.stopping = true }
        wake.signal()
    }

    private func run() {
        while true {
            wake.wait()
            let (batch, stopping) = jobs.withLock { jobs in
                defer { jobs.items = [] }
                return (jobs.items, jobs.stopping)
            }
            for job in batch { job() }
            if stopping && batch.isEmpty { break }
            if stopping { wake.signal() }
        }
        threadState.connection = nil
    }
}
