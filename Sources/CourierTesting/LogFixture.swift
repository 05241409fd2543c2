import CourierCore
import CourierLog
import Logging

/// The logs the conformance suite runs against.
public enum LogUnderTest: String, CaseIterable, Sendable, CustomStringConvertible {
    case memory
    case lmdb

    public var description: String { rawValue }
}

/// One log under test plus what survives a "restart": the LMDB directory or the in-memory storage.
public final class LogFixture: Sendable {
    public let kind: LogUnderTest
    public let clock = ManualClock()
    public let directory: TemporaryDirectory
    private let storage = InMemoryLogStorage()

    public init(_ kind: LogUnderTest) throws {
        self.kind = kind
        directory = try TemporaryDirectory("courier-log")
    }

    public var logDirectory: String { directory.path + "/log" }

    /// Opens the log (again): a reopen sees everything acknowledged before.
    public func open(segmentSizeBytes: Int = 64 << 20, maximumBatchEvents: Int = 10_000) throws -> any EventLog {
        switch kind {
        case .memory:
            return InMemoryEventLog(storage: storage, clock: clock.function)
        case .lmdb:
            var configuration = LMDBEventLog.Configuration()
            configuration.segmentSizeBytes = segmentSizeBytes
            configuration.maximumBatchEvents = maximumBatchEvents
            return try openLMDB(configuration)
        }
    }

    /// Opens the LMDB log in this fixture's directory with `configuration` (on the fixture's clock).
    public func openLMDB(_ configuration: LMDBEventLog.Configuration) throws -> LMDBEventLog {
        try LMDBEventLog(
            directory: logDirectory, configuration: configuration, clock: clock.function, logger: Logger(label: "test.log"))
    }

    public func remove() { directory.remove() }
}

extension LogEntry {
    /// A `send` event to `shard` with a recognisable payload, for log tests.
    public static func testSend(shard: UInt16, index: Int, epoch: UInt64 = 1, bodyBytes: Int = 160) -> LogEntry {
        let event = SendEvent(
            messageID: "m-\(shard)-\(index)", to: "1631555\(String(index % 10_000).leftPadded(to: 4))", type: "text",
            content: Array("{\"body\":\"\(String(repeating: "x", count: bodyBytes))\"}".utf8))
        return LogEntry(shard: shard, epoch: epoch, kind: .send, payload: event.encoded())
    }
}
