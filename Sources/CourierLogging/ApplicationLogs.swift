import Logging

/// A node's application logs (operations.md §5.1): the files of its role, rotated by size inside the process,
/// archived as gzip into `<log dir>/archive`, the oldest beyond the limit deleted.
///
/// `courier` makes one at start and bootstraps swift-log with it; SIGHUP calls ``reopen()``:
/// ```swift
/// let logs = try ApplicationLogs(role: .all, configuration: configuration)
/// LoggingSystem.bootstrap(logs.makeHandler(label:))
/// ```
public final class ApplicationLogs: Sendable {
    public let role: Role
    public let configuration: Configuration
    private let clock: LogClock
    private let archiver: LogArchiver
    private let webFile: LogFile?
    private let accessFile: LogFile?
    private let errorFile: LogFile?
    private let coreFile: LogFile?

    /// Creates the log directory and its archive folder, opens the role's files for appending and queues the
    /// archiving of rotated files a previous process left behind.
    public init(role: Role, configuration: Configuration, clock: LogClock = .system) throws(ApplicationLogError) {
        self.role = role
        self.configuration = configuration
        self.clock = clock
        let archiver = LogArchiver(logDirectory: configuration.directory)
        try Posix.makeDirectories(archiver.archiveDirectory)
        self.archiver = archiver
        func open(_ name: String, _ rotation: Rotation) throws(ApplicationLogError) -> LogFile {
            try LogFile(name: name, rotation: rotation, archiver: archiver, clock: clock)
        }
        webFile = try role.hasWebFiles ? open("web.log", configuration.web) : nil
        accessFile = try role.hasWebFiles ? open("access.log", configuration.web) : nil
        errorFile = try role.hasWebFiles ? open("error.log", configuration.web) : nil
        coreFile = try role.hasCoreFile ? open("core.log", configuration.core) : nil
    }

    /// The handler for a logger labelled `label`, at ``Configuration/minimumLevel``; pass this method to
    /// `LoggingSystem.bootstrap`. With role `all` the label picks `web.log` or `core.log`
    /// (``Configuration/webLabelPrefixes``).
    @Sendable public func makeHandler(label: String) -> any LogHandler {
        handler(label: label)
    }

    /// ``makeHandler(label:)`` with its concrete type.
    public func handler(label: String) -> RotatingFileLogHandler {
        let isWeb = configuration.webLabelPrefixes.contains { label.hasPrefix($0) }
        let output = RotatingFileLogHandler.Output(
            file: (isWeb ? webFile : coreFile) ?? webFile ?? coreFile,
            errorFile: errorFile,
            alsoStandardError: configuration.alsoStandardError,
            formatter: LogLineFormatter(
                format: configuration.format,
                redactedKeyFragments: configuration.redactedKeyFragments
            ),
            clock: clock
        )
        return RotatingFileLogHandler(
            label: label,
            logLevel: configuration.minimumLevel,
            metadataProvider: LoggingSystem.metadataProvider,
            output: output
        )
    }

    /// Appends one request's line, already formatted by the HTTP layer, to `access.log`; ignored by roles without
    /// it. Line breaks inside `line` are replaced by spaces so one request stays one line.
    public func accessLog(line: String) {
        guard let accessFile else { return }
        var bytes = Array(line.utf8)
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") || bytes[index] == UInt8(ascii: "\r") {
            bytes[index] = UInt8(ascii: " ")
        }
        bytes.append(UInt8(ascii: "\n"))
        accessFile.write(bytes)
        if configuration.alsoStandardError { StandardError.write(bytes) }
    }

    /// Reopens every file at its path: on SIGHUP, after an outside tool such as logrotate moved them away.
    public func reopen() {
        for file in files { file.reopen() }
    }

    /// Returns once every rotated file queued so far is archived (and old archives pruned).
    public func waitForArchiving() {
        archiver.waitUntilIdle()
    }

    /// Finishes archiving and closes the files; later lines are dropped. For shutdown and tests.
    public func close() {
        archiver.waitUntilIdle()
        for file in files { file.close() }
    }

    private var files: [LogFile] { [webFile, accessFile, errorFile, coreFile].compactMap { $0 } }
}
