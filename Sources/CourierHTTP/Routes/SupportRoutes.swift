import CourierCore
import HTTPTypes
import Hummingbird

/// `GET /v1/support` (api.md §14), admin only: what an operator pastes into a support request.
struct SupportRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        admins.get("/v1/support") { _, _ -> Response in
            guard let support = dependencies.support else { throw APIError(1011, "support information is not wired on this node") }
            return APIResponse.json(.ok, ["support": .object(await support())])
        }
    }
}

/// The facts behind `GET /v1/support`, gathered by the node.
public struct SupportFacts: Sendable {
    public var version: String
    public var databaseEngine: String
    public var schemaVersion: Int?
    public var shards: Int
    public var nodeKey: String
    public var dataFreeBytes: Int?
    public var mediaFreeBytes: Int?
    public var replicationLagEvents: UInt64

    public init(
        version: String, databaseEngine: String, schemaVersion: Int?, shards: Int, nodeKey: String, dataFreeBytes: Int?,
        mediaFreeBytes: Int?, replicationLagEvents: UInt64
    ) {
        self.version = version
        self.databaseEngine = databaseEngine
        self.schemaVersion = schemaVersion
        self.shards = shards
        self.nodeKey = nodeKey
        self.dataFreeBytes = dataFreeBytes
        self.mediaFreeBytes = mediaFreeBytes
        self.replicationLagEvents = replicationLagEvents
    }

    /// The `support` object, in the order api.md §14 shows.
    public var json: JSONObject {
        [
            "version": .string(version), "api_version": "v2.45.1", "db_engine": .string(databaseEngine),
            "schema_version": schemaVersion.map { .integer(Int64($0)) } ?? .null,
            // One node runs every role: there is no separate coreapp fleet to connect.
            "multi_connect": .bool(false), "shards": .integer(Int64(shards)), "node": .string(nodeKey),
            "data_free_bytes": dataFreeBytes.map { .integer(Int64($0)) } ?? .null,
            "media_free_bytes": mediaFreeBytes.map { .integer(Int64($0)) } ?? .null,
            "replication_lag_events": .integer(Int64(replicationLagEvents)),
        ]
    }
}
