import Logging

extension ApplicationLogs {
    /// The node role, which decides the files (operations.md §5.1); spelled like `COURIER_ROLE`.
    public enum Role: String, CaseIterable, Sendable {
        /// `web.log`, `access.log`, `error.log` and `core.log`.
        case all
        /// `web.log`, `access.log`, `error.log`.
        case webapp
        /// `core.log`.
        case master
        /// `core.log`.
        case coreapp

        var hasWebFiles: Bool { self == .all || self == .webapp }
        var hasCoreFile: Bool { self != .webapp }
    }

    /// How lines are written.
    public enum Format: String, CaseIterable, Sendable {
        /// `<time> <level> <label>: <metadata> [<source>] <message>`, one line per event.
        case text
        /// One JSON object per line: `time`, `level`, `label`, `source`, `message`, `metadata`.
        case json
    }

    /// When one file rotates and how many of its archives stay.
    public struct Rotation: Hashable, Sendable {
        /// A write that would take the file above this many bytes rotates it first (MB = 1 000 000 bytes).
        public var rotateAboveBytes: Int
        /// Archives kept per file name; older ones are deleted. 0 deletes rotated files instead of archiving.
        public var keep: Int

        public init(rotateAboveBytes: Int, keep: Int = 30) {
            precondition(rotateAboveBytes > 0, "rotateAboveBytes must be positive, not \(rotateAboveBytes)")
            precondition(keep >= 0, "keep must not be negative, not \(keep)")
            self.rotateAboveBytes = rotateAboveBytes
            self.keep = keep
        }
    }

    /// Application logs (operations.md §5.1); `courier` fills it from `COURIER_LOG_*` and `WA_*_LOGROTATE_*`.
    public struct Configuration: Sendable {
        /// `COURIER_LOG_DIR`: the folder of the log files, `<data dir>/logs`; archives go to its `archive` folder.
        public var directory: String = "./data/logs"
        /// `WA_WEB_LOGROTATE_SIZE_MB`, `WA_WEB_LOGROTATE_KEEP`: `web.log`, `access.log` and `error.log`.
        public var web = Rotation(rotateAboveBytes: 20_000_000, keep: 30)
        /// `WA_CORE_LOGROTATE_SIZE_MB`, `WA_CORE_LOGROTATE_KEEP`: `core.log`.
        public var core = Rotation(rotateAboveBytes: 15_000_000, keep: 30)
        /// `COURIER_LOG_FORMAT`.
        public var format: Format = .text
        /// `COURIER_LOG_LEVEL`: the level every handler starts with.
        public var minimumLevel: Logger.Level = .info
        /// `COURIER_LOG_STDERR`: every line also goes to standard error.
        public var alsoStandardError: Bool = true
        /// With role `all`, loggers whose label starts with one of these write `web.log`, the others `core.log`.
        public var webLabelPrefixes: [String] = ["courier.http", "courier.api", "hummingbird"]
        /// Metadata keys containing one of these (any case) are written as `<redacted>`: a safety net, since
        /// logs never hold tokens or passwords (STYLE §6).
        public var redactedKeyFragments: [String] = ["password", "token", "secret", "authorization", "apikey"]

        public init() {}

        /// The defaults with the given log directory.
        public init(directory: String) {
            self.directory = directory
        }
    }
}
