import CourierCore
import Logging

extension ControlActor {
    /// What a backup holds now (api.md §10): every settings section and every user with its password hash.
    public func backupDocument() -> BackupDocument {
        BackupDocument(state)
    }

    /// `POST /v1/settings/backup`: the current backup document sealed under `password` (off the actor: scrypt).
    public func backup(password: String) async throws -> [UInt8] {
        let plaintext = backupDocument().serialized()
        let credentials = credentials
        let blob: [UInt8]
        do {
            blob = try await offActor { try credentials.sealBackup(plaintext, password) }
        } catch {
            throw ShardError(.credentials, "sealing the backup failed: \(error)")
        }
        logger.info("settings backup made", metadata: ["backup.users": "\(state.users.count)"])
        return blob
    }

    /// `POST /v1/settings/restore`: decrypts and validates `blob` completely before changing anything, then
    /// restores it in one atomic batch. A wrong password or a damaged blob is `.backupUnreadable`.
    public func restore(blob: [UInt8], password: String) async throws -> ControlReply {
        let credentials = credentials
        let plaintext: [UInt8]
        do {
            plaintext = try await offActor { try credentials.openBackup(blob, password) }
        } catch {
            return .rejected(.backupUnreadable("backup could not be decrypted"))
        }
        let document: BackupDocument
        do {
            document = try BackupDocument(parsing: plaintext)
        } catch {
            return .rejected(.backupUnreadable("backup could not be decrypted: \(error.description)"))
        }
        return try await restore(document)
    }

    /// Replaces every settings section and user with the document's, revoking every token.
    public func restore(_ document: BackupDocument) async throws -> ControlReply {
        let reply = try await run(.restore(document))
        if reply == .done {
            logger.info("settings and users restored from a backup", metadata: ["backup.users": "\(document.users.count)"])
        }
        return reply
    }
}
