import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird

/// `POST /v1/messages` (api.md §6.1): validate, route to the recipient's shard actor, answer 201
/// only once the `send` event is durable.
struct MessageRoutes {
    let dependencies: APIDependencies

    static var idempotencyKeyField: HTTPField.Name { HTTPField.Name("X-Courier-Idempotency-Key")! }
    static var idempotentReplayField: HTTPField.Name { HTTPField.Name("X-Courier-Idempotent-Replay")! }

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.post("/v1/messages") { request, _ -> Response in
            var request = request
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            let send: ValidatedSend
            switch SendValidation.validate(body) {
            case .success(let valid): send = valid
            case .failure(let failure): throw APIError(failure)
            }
            let key = try idempotencyKey(request)
            // Media by id must exist on the volume (api.md §6.1: else 400, 1006).
            let mediaIDs = body[send.type].map { MediaPolicy.referencedIDs(in: $0, type: send.type) } ?? []
            if !mediaIDs.isEmpty, let media = dependencies.media {
                for id in mediaIDs where try await media.info(id: id) == nil {
                    throw APIError(1006, "\(send.type).id: no media with id \(id)", status: .badRequest)
                }
            }
            // A link's provider must be configured (api.md §6.1: else 400, 1009); its credentials fetch the link.
            if let name = body[send.type]?["provider"]?["name"]?.stringValue, let control = dependencies.control,
                !MediaProviderCredentials.isConfigured(name, in: await control.section(SettingsChangeEvent.mediaProvidersSection))
            {
                throw APIError(1009, "\(send.type).provider.name: no media provider named \(name) is configured", status: .badRequest)
            }
            let messageID = MessageID.outbound(to: send.to, random: dependencies.randomID())
            let sendRequest = SendRequest(
                messageID: messageID, to: send.to, type: send.type, content: send.content, idempotencyKey: key)
            let reply: ShardReply
            do {
                reply = try await dependencies.shards.withShard(for: send.to) { try await $0.send(sendRequest) }
            } catch let error as ShardError {
                throw Self.apiError(error)
            }
            switch reply {
            case .accepted(let id, let replay):
                if !mediaIDs.isEmpty, let media = dependencies.media {
                    // For media GC's "used by a send in 30 days"; losing it only ages the file sooner.
                    do { try await media.markUsed(mediaIDs) } catch {
                        dependencies.logger.warning("media use not recorded", metadata: ["error": "\(error)"])
                    }
                }
                var headers = HTTPFields()
                if replay { headers[Self.idempotentReplayField] = "true" }
                return APIResponse.json(.created, ["messages": [["id": .string(id)]]], headers: headers)
            case .idempotencyConflict:
                throw APIError(1004, "X-Courier-Idempotency-Key was already used for a different message to this recipient")
            case .markRead:
                preconditionFailure("a send answered with a mark-read reply")
            }
        }
    }

    private func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[Self.idempotencyKeyField] else { return nil }
        guard (1...128).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError(1009, "X-Courier-Idempotency-Key must be 1–128 printable ASCII characters")
        }
        return key
    }

    static func apiError(_ error: ShardError) -> APIError {
        var retry = HTTPFields()
        retry[.retryAfter] = "1"
        switch error.code {
        case .overloaded: return APIError(1016, "the node is overloaded: \(error.message); retry later", headers: retry)
        case .stopped: return APIError(1011, "the node is shutting down", headers: retry)
        case .notReplicated:
            return APIError(
                1023,
                "the database did not confirm the message in time; the outcome is unknown and it may still be sent: retry with the same X-Courier-Idempotency-Key",
                headers: retry)
        default: return APIError(1014, "the message could not be stored; it was not sent", status: .serviceUnavailable, headers: retry)
        }
    }
}
