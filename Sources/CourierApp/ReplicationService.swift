import CourierCore
import CourierStore
import Foundation
import ServiceLifecycle

/// Runs beside the node while it serves: records the replicator's status in the data dir every second
/// (what `courier log` shows as REPLICATED@ and lag), and stops the replicator on shutdown.
struct ReplicationService: Service {
    let replicator: Replicator
    let statusPath: String
    let nodeKey: String

    func run() async throws {
        // Graceful shutdown ends the loop; the status is written once more at the end.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                writeStatus()
                try await Task.sleep(for: .seconds(1))
            }
        }
        await replicator.stop()
        writeStatus()
    }

    func writeStatus() {
        let status = replicator.status
        let streams: [JSONValue] = status.streams.keys.sorted().map { shard in
            let stream = status.streams[shard]!
            var object: JSONObject = [
                "shard": .integer(Int64(shard)), "replicated_seq": .integer(Int64(stream.replicatedSeq)),
                "last_seq": .integer(Int64(stream.lastSeq)), "lag_events": .integer(Int64(stream.lagEvents)),
                "lag_seconds": .double(stream.lagSeconds),
            ]
            if let reason = stream.stoppedReason { object["stopped"] = .string(reason) }
            return .object(object)
        }
        let document: JSONValue = [
            "node_key": .string(nodeKey), "connected": .bool(status.connected), "streams": .array(streams),
            "shipped_records": .integer(Int64(status.shippedRecords)),
        ]
        // Best effort: a missed status write only delays what `courier log` shows.
        try? Data(document.serialized()).write(to: URL(fileURLWithPath: statusPath), options: .atomic)
    }
}
