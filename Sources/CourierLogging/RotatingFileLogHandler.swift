import Logging

/// A swift-log handler writing one line per event to its role's file (`web.log` or `core.log`), warnings and
/// above also to `error.log` when the role has it, and to stderr when configured. Made by
/// ``ApplicationLogs/makeHandler(label:)``; copies share the files.
public struct RotatingFileLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let output: Output

    /// What every handler of one label shares.
    struct Output: Sendable {
        var file: LogFile?
        var errorFile: LogFile?
        var alsoStandardError: Bool
        var formatter: LogLineFormatter
        var clock: LogClock
    }

    init(label: String, logLevel: Logger.Level, metadataProvider: Logger.MetadataProvider?, output: Output) {
        self.label = label
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = output.formatter.line(
            time: output.clock.now(),
            level: event.level,
            label: label,
            source: event.source,
            message: event.message.description,
            metadata: effectiveMetadata(event)
        )
        output.file?.write(line)
        if event.level >= .warning { output.errorFile?.write(line) }
        if output.alsoStandardError { StandardError.write(line) }
    }

    /// Handler metadata, then the provider's, then the event's, then the error (as swift-log's `StreamLogHandler`).
    private func effectiveMetadata(_ event: LogEvent) -> Logger.Metadata {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }
}
