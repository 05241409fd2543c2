import CourierCore
import CourierLog
import Foundation
import Logging

extension LogInspector {
    /// Archived segments unpacked into a temporary folder and opened read-only; `remove` deletes the copy.
    struct OpenedArchive {
        let log: LMDBEventLog
        let folder: String

        func remove() { try? FileManager.default.removeItem(atPath: folder) }  // a leftover temp copy only costs disk
    }

    /// nil when nothing is archived.
    func openArchive() throws -> OpenedArchive? {
        let archive = SegmentArchive(logDirectory: dataDirectory.logPath)
        let entries = archive.entries()
        guard !entries.isEmpty else { return nil }
        let folder = NSTemporaryDirectory() + "courier-archive-" + UUID().uuidString
        do {
            try archive.extract(entries, into: folder)
            var configuration = LMDBEventLog.Configuration()
            configuration.readOnly = true
            let log = try LMDBEventLog(
                directory: folder, configuration: configuration, clock: { .zero },
                logger: Logger(label: "courier.log-inspector", factory: { _ in SwiftLogNoOpLogHandler() }))
            return OpenedArchive(log: log, folder: folder)
        } catch let error as LogError {
            try? FileManager.default.removeItem(atPath: folder)  // best effort before reporting
            throw AppError("cannot read the archived segments in \(archive.directory): \(error.message)", exitCode: 1)
        }
    }
}
