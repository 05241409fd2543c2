#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time for log lines and archive names, injected so tests control it (STYLE §5).
public struct LogClock: Sendable {
    /// Seconds and nanoseconds since the Unix epoch, UTC.
    public struct Instant: Hashable, Sendable {
        public var seconds: Int
        public var nanoseconds: Int

        public init(seconds: Int, nanoseconds: Int = 0) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }
    }

    public var now: @Sendable () -> Instant

    public init(now: @escaping @Sendable () -> Instant) {
        self.now = now
    }

    /// `clock_gettime(CLOCK_REALTIME)`.
    public static let system = LogClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Instant(seconds: Int(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }
}

extension LogClock.Instant {
    /// Appends `2025-01-02T03:04:05.678Z`; `gmtime_r` and digits, no `DateFormatter`.
    func appendISO8601(to bytes: inout [UInt8]) {
        let fields = Self.utcFields(seconds)
        Self.appendDigits(fields.year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(fields.month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(fields.day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        Self.appendDigits(fields.hour, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(fields.minute, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendDigits(fields.second, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.appendDigits(nanoseconds / 1_000_000, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// `20250102T030405Z`, the stamp in archive names (operations.md §5.1).
    var archiveStamp: String {
        let fields = Self.utcFields(seconds)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        Self.appendDigits(fields.year, width: 4, to: &bytes)
        Self.appendDigits(fields.month, width: 2, to: &bytes)
        Self.appendDigits(fields.day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        Self.appendDigits(fields.hour, width: 2, to: &bytes)
        Self.appendDigits(fields.minute, width: 2, to: &bytes)
        Self.appendDigits(fields.second, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func utcFields(
        _ seconds: Int
    ) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var time = time_t(seconds)
        var fields = tm()
        gmtime_r(&time, &fields)
        return (
            Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1, Int(fields.tm_mday),
            Int(fields.tm_hour), Int(fields.tm_min), Int(fields.tm_sec)
        )
    }

    /// Zero-padded to `width` (at least 1); wider values keep every digit.
    private static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        let rest = max(value, 0)
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while rest / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            divisor /= 10
        }
    }
}
