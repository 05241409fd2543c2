import CourierCore
import CourierShards
import Hummingbird

/// `PUT /v1/messages/{message-id}` (api.md §6.4): marks an inbound message read. The id names its
/// sender's shard (api.md §6.2), so no lookup crosses shards.
struct MessageReadRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.put("/v1/messages/:id") { request, context -> Response in
            var request = request
            let id = context.parameters.get("id") ?? ""
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            guard let status = body["status"] else { throw APIError(1008, "status is required") }
            guard status.stringValue == "read" else { throw APIError(1009, "status must be \"read\"") }
            guard !id.hasPrefix("gBG") else { throw APIError(1009, "\(id) is an outbound message; only inbound messages are marked read") }
            guard let hash = MessageID.embeddedHash(id) else { throw APIError(1006, "no message \(id)") }
            let outcome: MarkReadOutcome
            do {
                outcome = try await dependencies.shards.withMap { count, actors in
                    try await actors[Int(hash % UInt64(count))].markRead(id)
                }
            } catch let error as ShardError {
                throw MessageRoutes.apiError(error)
            }
            switch outcome {
            case .marked, .alreadyRead: return APIResponse.json(.ok, [:])
            case .outbound: throw APIError(1009, "\(id) is an outbound message; only inbound messages are marked read")
            case .notFound: throw APIError(1006, "no message \(id)")
            }
        }
    }
}
