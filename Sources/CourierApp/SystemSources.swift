import CourierCore
import Glibc

/// The real clock and randomness: only the composition root uses them; everything below takes them injected.
public enum SystemSources {
    public static let clock: @Sendable () -> Timestamp = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    public static let random128: @Sendable () -> (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }

    /// A node id: 12 hex digits (48 random bits), e.g. `3f9a0c2b7d41`.
    public static func newNodeID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = (generator.next() as UInt64) & 0xFFFF_FFFF_FFFF
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 12 - text.count) + text
    }
}
