import CourierCore
import CourierHTTP
import CourierShards
import Logging

extension Node {
    /// The `services` callbacks of webhooks.md §7: one per finished run, queued in the outbox of the
    /// lowest-numbered shard (`node` omitted on a single node) through the directory's gate, like any
    /// command, so a shard count change never runs under it. Automatic message-GC runs post none.
    static func wireServiceResults(
        messageGC: MessageGC, mediaCollector: MediaCollector?, shards: ShardDirectory, logger: Logger
    ) async {
        @Sendable func record(runID: String, outcome: String, messagesDeleted: UInt64, document: JSONValue) async throws {
            _ = try await shards.withShard(number: 0) {
                try await $0.recordServiceResult(runID: runID, outcome: outcome, messagesDeleted: messagesDeleted, document: document)
            }
        }
        await messageGC.addCompletionHandler { result in
            guard !result.automatic else { return }
            var gc: JSONObject = [
                "status": .string(result.status), "messages_deleted": .integer(Int64(result.messagesDeleted)),
                "run_id": .string(result.runID), "events_compacted": .integer(Int64(result.eventsCompacted)),
                "bytes_reclaimed": .integer(Int64(result.bytesReclaimed)), "duration_ms": .integer(Int64(result.durationMilliseconds)),
            ]
            if let error = result.error {
                gc["errors"] = [["code": 1014, "title": "Internal error", "details": .string(error)]]
            }
            let document: JSONValue = ["message": ["gc": .object(gc)]]
            Task {
                do {
                    try await record(
                        runID: result.runID, outcome: result.status, messagesDeleted: result.messagesDeleted, document: document)
                } catch {
                    logger.error("message GC callback not queued", metadata: ["gc.run": "\(result.runID)", "error": "\(error)"])
                }
            }
        }
        await mediaCollector?.onComplete { result in
            var gc: JSONObject = [
                "status": .string(result.status), "items_deleted": .integer(Int64(result.itemsDeleted)), "run_id": .string(result.runID),
            ]
            if let error = result.error {
                gc["errors"] = [["code": 1014, "title": "Internal error", "details": .string(error)]]
            }
            do {
                try await record(
                    runID: result.runID, outcome: result.status, messagesDeleted: 0, document: ["media": ["gc": .object(gc)]])
            } catch {
                logger.error("media GC callback not queued", metadata: ["gc.run": "\(result.runID)", "error": "\(error)"])
            }
        }
    }
}
