import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

/// What the GC and stats routes need from the node.
public struct StatsDependencies: Sendable {
    /// The node's message GC; nil answers 503/1011.
    public var messageGC: MessageGC? = nil
    /// This node's key, the entry of `PUT /v1/services/message/gc`.
    public var nodeKey: String = "courier"
    /// Callback figures from the webhook outbox (`callback_queue_size`, `callback_requests`,
    /// `db_pending_callbacks`); zeros until the outbox provides them.
    public var callbacks: @Sendable () async -> CallbackStats = { CallbackStats() }
    /// `endpoint_requests{endpoint,result}`, counted by the router.
    public var endpointRequests = EndpointRequestCounter()

    public init() {}
}

/// The webhook outbox's figures for `/v1/stats/*`.
public struct CallbackStats: Hashable, Sendable {
    /// Callbacks waiting for delivery.
    public var queueSize: Int = 0
    /// Attempts by `result` (`success`, `failure`) and `type` (`inbound_message`, `status_change`, `services`).
    public var requests: [CallbackRequestKey: Int] = [:]

    public init(queueSize: Int = 0, requests: [CallbackRequestKey: Int] = [:]) {
        self.queueSize = queueSize
        self.requests = requests
    }
}

public struct CallbackRequestKey: Hashable, Sendable {
    public var result: String
    public var type: String

    public init(result: String, type: String) {
        self.result = result
        self.type = type
    }
}

/// `PUT /v1/services/message/gc` (api.md §11.1), admin: starts message GC, or joins the run in
/// progress, and answers at once with one entry per node key [Courier choice, also on one node].
struct ServiceRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        admins.put("/v1/services/message/gc") { _, _ -> Response in
            guard let gc = dependencies.stats.messageGC else {
                throw APIError(1011, "message GC is not available on this node")
            }
            await gc.start()
            let entry: JSONObject = [dependencies.stats.nodeKey: ["status": "processing"]]
            return APIResponse.json(.ok, ["services": ["message": ["gc": .object(entry)]]])
        }
    }
}
