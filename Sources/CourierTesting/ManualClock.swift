import CourierCore
import Synchronization

/// A clock tests move by hand; `now` is what the log stamps records with.
public final class ManualClock: Sendable {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(microseconds: 1_795_000_000_000_000)) { current = Mutex(start) }

    public var now: Timestamp { current.withLock { $0 } }

    public func advance(microseconds: Int64) { current.withLock { $0.microseconds += microseconds } }

    public func set(_ timestamp: Timestamp) { current.withLock { $0 = timestamp } }

    /// The clock as the function the logs take.
    public var function: @Sendable () -> Timestamp { { [self] in now } }
}
