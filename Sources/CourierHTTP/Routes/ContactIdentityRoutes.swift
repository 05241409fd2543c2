import CourierCore
import CourierGateway
import HTTPTypes
import Hummingbird

/// `GET, PUT /v1/contacts/{wa_id}/identity` (api.md §7.2): the contact's current identity key hash per the
/// gateway, and its acknowledgement. Unknown or malformed `wa_id` → 404, 1006 [Courier choice].
struct ContactIdentityRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/v1/contacts/:wa_id/identity") { _, context -> Response in
            let (gateway, waID) = try contact(context)
            guard let identity = gateway.registry.identity(of: waID) else { throw Self.unknown }
            return APIResponse.json(.ok, ["identity": [Self.json(identity)]])
        }
        router.put("/v1/contacts/:wa_id/identity") { request, context -> Response in
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            let hash = try UserRoutes.requiredString(body, "hash")
            let (gateway, waID) = try contact(context)
            guard gateway.registry.acknowledgeIdentity(of: waID, hash: hash) else {
                throw APIError(1009, "hash is not the contact's current identity hash")
            }
            return APIResponse.json(.ok, [:])
        }
    }

    private func contact(_ context: CourierRequestContext) throws -> (GatewaySimulator, String) {
        let gateway = try dependencies.reachableGateway()
        guard let raw = context.parameters.get("wa_id"), AccountValidation.isDigits(raw), raw.utf8.count <= 15,
            gateway.isOnNetwork(raw)
        else { throw Self.unknown }
        return (gateway, raw)
    }

    static let unknown = APIError(1006, "unknown wa_id")

    static func json(_ identity: GatewayRegistry.Identity) -> JSONValue {
        ["hash": .string(identity.hash), "created_at": .integer(identity.createdAt.microseconds / 1_000_000)]
    }
}
