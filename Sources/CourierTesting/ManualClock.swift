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

/// A seeded SplitMix64: same seed, same sequence, for deterministic tests and simulations.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
