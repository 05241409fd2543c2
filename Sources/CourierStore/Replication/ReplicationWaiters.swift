import CourierCore
import Synchronization

/// Appenders waiting for PostgreSQL to commit their record (`replication_ack=replicated`).
/// The replicator advances watermarks and expires waiters past their deadline on its own thread.
final class ReplicationWaiters: Sendable {
    private struct Waiter {
        var seq: UInt64
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var watermarks: [UInt16: UInt64] = [:]
        var waiters: [UInt16: [Waiter]] = [:]
        var stopped: [UInt16: String] = [:]
    }

    private let state = Mutex(State())

    func wait(shard: UInt16, seq: UInt64, timeout: Duration) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<Bool, StoreError> = state.withLock { state in
                if let reason = state.stopped[shard] { return .failure(StoreError(.divergence, reason)) }
                if state.watermarks[shard, default: 0] >= seq { return .success(true) }
                state.waiters[shard, default: []].append(
                    Waiter(seq: seq, deadline: .now + timeout, continuation: continuation))
                return .success(false)
            }
            switch outcome {
            case .success(true): continuation.resume()
            case .success(false): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }

    func advance(shard: UInt16, to seq: UInt64) {
        let ready: [Waiter] = state.withLock { state in
            state.watermarks[shard] = max(state.watermarks[shard, default: 0], seq)
            guard let waiting = state.waiters[shard] else { return [] }
            state.waiters[shard] = waiting.filter { $0.seq > seq }
            return waiting.filter { $0.seq <= seq }
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Fails waiters whose deadline passed: the outcome is unknown to them (api.md §6.1: 503/1023).
    func expire(now: ContinuousClock.Instant) {
        let expired: [Waiter] = state.withLock { state in
            var expired: [Waiter] = []
            for (shard, waiting) in state.waiters {
                expired += waiting.filter { $0.deadline <= now }
                state.waiters[shard] = waiting.filter { $0.deadline > now }
            }
            return expired
        }
        for waiter in expired {
            waiter.continuation.resume(throwing: StoreError(.connection, "PostgreSQL did not confirm the event in time"))
        }
    }

    /// A stream whose replication stopped fails its waiters now and later ones at once.
    func stop(shard: UInt16, reason: String) {
        let failed: [Waiter] = state.withLock { state in
            state.stopped[shard] = reason
            defer { state.waiters[shard] = [] }
            return state.waiters[shard] ?? []
        }
        for waiter in failed { waiter.continuation.resume(throwing: StoreError(.divergence, reason)) }
    }

    func failAll(_ error: StoreError) {
        let all: [Waiter] = state.withLock { state in
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap { $0 }
        }
        for waiter in all { waiter.continuation.resume(throwing: error) }
    }
}
