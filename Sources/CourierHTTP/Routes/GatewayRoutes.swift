import CourierCore
import CourierGateway
import HTTPTypes
import Hummingbird
import Logging

/// The simulated network's control endpoints (api.md §16), unauthenticated, under `/gateway`: on the API listener
/// of `serve --role all` and on `courier gateway`'s own listener. Bodies are plain JSON without `meta` (they are
/// not `/v1`); failures use the API's error object. The inbound path (`POST /gateway/inbound`) is not here.
struct GatewayRoutes {
    static let routes: [APIRoute] = [
        APIRoute(method: .get, path: "/gateway/codes"),
        APIRoute(method: .post, path: "/gateway/certs"),
        APIRoute(method: .get, path: "/gateway/messages"),
        APIRoute(method: .get, path: "/gateway/templates"),
        APIRoute(method: .post, path: "/gateway/templates"),
        APIRoute(method: .post, path: "/gateway/offline"),
        APIRoute(method: .post, path: "/gateway/online"),
        APIRoute(method: .post, path: "/gateway/users/{wa_id}/identity-change"),
        APIRoute(method: .post, path: "/gateway/users/{wa_id}/change-number"),
        APIRoute(method: .post, path: "/gateway/users/{wa_id}/delete/{id}"),
    ]

    let gateway: GatewaySimulator
    let bodyLimit: Int

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/gateway/codes") { _, _ -> Response in
            let codes: [JSONValue] = gateway.registry.pendingCodes().map { code in
                [
                    "cc": .string(code.cc), "phone_number": .string(code.phoneNumber), "method": .string(code.method),
                    "code": .string(code.code), "expires_at": .integer(code.expiresAt.microseconds / 1_000_000),
                ]
            }
            return APIResponse.jsonValue(.ok, .array(codes))
        }
        router.post("/gateway/certs") { request, _ -> Response in
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: bodyLimit))
            var problems: [APIProblem] = []
            var fields: [String: String] = [:]
            for key in ["cc", "phone_number", "vname"] {
                do { fields[key] = try UserRoutes.requiredString(body, key) } catch let error as APIError { problems += error.problems }
            }
            if let cc = fields["cc"], let number = fields["phone_number"], !AccountValidation.isPhoneNumber(number, cc: cc)
                || !AccountValidation.isCountryCode(cc)
            {
                problems.append(APIProblem(code: 1009, details: "cc and phone_number must be a phone number (api.md §4.1)"))
            }
            if let vname = fields["vname"], vname.isEmpty || vname.count > 256 {
                problems.append(APIProblem(code: 1009, details: "vname must be 1 to 256 characters"))
            }
            var validDays: Int64 = 365
            if let value = body["valid_days"], value != .null {
                // Negative values make already-expired certificates, for tests of the 400 path.
                if let days = LenientValue.integer(value), (-3650...3650).contains(days) {
                    validDays = days
                } else {
                    problems.append(APIProblem(code: 1009, details: "valid_days must be an integer from -3650 to 3650"))
                }
            }
            guard problems.isEmpty, let cc = fields["cc"], let number = fields["phone_number"], let vname = fields["vname"] else {
                throw APIError(problems: problems)
            }
            let cert = gateway.registry.issueCertificate(cc: cc, phoneNumber: number, vname: vname, validDays: Int(validDays))
            return APIResponse.jsonValue(.ok, ["cert": .string(cert)])
        }
        router.get("/gateway/messages") { request, _ -> Response in
            let to = request.uri.queryParameters.get("to")
            let messages: [JSONValue] = gateway.received(to: to).map { message in
                [
                    "id": .string(message.messageID), "to": .string(message.to),
                    "timestamp": .integer(message.at.microseconds / 1_000_000),
                ]
            }
            return APIResponse.jsonValue(.ok, .array(messages))
        }
        router.get("/gateway/templates") { _, _ -> Response in
            APIResponse.jsonValue(.ok, .array(gateway.registry.templates()))
        }
        router.post("/gateway/templates") { request, _ -> Response in
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: bodyLimit))
            let name = try UserRoutes.requiredString(body, "name")
            let language = try UserRoutes.requiredString(body, "language")
            guard !name.isEmpty, name.count <= 512, !language.isEmpty else {
                throw APIError(1009, "name and language must not be empty")
            }
            if let components = body["components"], components.arrayValue == nil {
                throw APIError(1009, "components must be an array")
            }
            gateway.registry.addTemplate(.object(body))
            return APIResponse.jsonValue(.created, .object(body))
        }
        router.post("/gateway/offline") { _, _ -> Response in
            gateway.setOnline(false)
            return APIResponse.jsonValue(.ok, ["status": .string(gateway.status)])
        }
        router.post("/gateway/online") { _, _ -> Response in
            gateway.setOnline(true)
            return APIResponse.jsonValue(.ok, ["status": .string(gateway.status)])
        }
        router.post("/gateway/users/:wa_id/identity-change") { _, context -> Response in
            let waID = try user(context)
            guard let identity = gateway.registry.changeIdentity(of: waID) else { throw ContactIdentityRoutes.unknown }
            // The business hears of it as a system message (webhooks.md §4).
            let system: JSONValue = [
                "type": "customer_identity_changed", "body": .string("User \(waID)'s security code changed"),
                "customer": .string(waID), "identity": .string(identity.hash),
            ]
            var answer: JSONObject = ["identity": ContactIdentityRoutes.json(identity)]
            if let id = try await injectSystem(from: waID, system: system) { answer["id"] = .string(id) }
            return APIResponse.jsonValue(.ok, .object(answer))
        }
        router.post("/gateway/users/:wa_id/change-number") { request, context -> Response in
            let waID = try user(context)
            var request = request
            let body = try await request.jsonBody(limit: bodyLimit, optional: false)
            guard let text = body["new_wa_id"]?.stringValue, let newWaID = WaID.normalize(text) else {
                throw APIError(1009, "new_wa_id must be a phone number or wa_id")
            }
            let system: JSONValue = [
                "type": "user_changed_number", "body": .string("User \(waID) changed to \(newWaID)"), "new_wa_id": .string(newWaID),
            ]
            let id = try await injectSystem(from: waID, system: system)
            return APIResponse.jsonValue(.ok, id.map { ["id": .string($0)] } ?? [:])
        }
        router.post("/gateway/users/:wa_id/delete/:id") { _, context -> Response in
            let waID = try user(context)
            guard let id = context.parameters.get("id"), await gateway.recipientDeleted(messageID: id, by: waID) else {
                throw APIError(1006, "the network delivered no message with that id to \(waID)")
            }
            return APIResponse.jsonValue(.ok, ["id": .string(id), "status": "deleted"])
        }
    }

    /// Logs a system message through the node; nil when no node is attached (a standalone gateway): the
    /// change happened on the network, and there is nobody to tell.
    private func injectSystem(from waID: String, system: JSONValue) async throws -> String? {
        do {
            return try await gateway.inbound.injectSystem(from: waID, system: system)
        } catch is GatewayUnavailable {
            return nil
        }
    }

    private func user(_ context: CourierRequestContext) throws -> String {
        guard let waID = context.parameters.get("wa_id"), AccountValidation.isDigits(waID), waID.utf8.count <= 15,
            gateway.isOnNetwork(waID)
        else { throw ContactIdentityRoutes.unknown }
        return waID
    }
}

extension CourierAPI {
    /// `courier gateway`'s HTTP surface: only the `/gateway` control endpoints, with the API's conventions.
    public static func gatewayResponder(
        gateway: GatewaySimulator, serverVersion: String = APIConfiguration().serverVersion,
        bodyLimitBytes: Int = 1 << 20, logger: Logger
    ) -> some HTTPResponder<CourierRequestContext> {
        let router = Router(context: CourierRequestContext.self)
        router.add(middleware: HTTPErrorMapping(routes: GatewayRoutes.routes))
        GatewayRoutes(gateway: gateway, bodyLimit: bodyLimitBytes).register(on: router)
        return ConventionsResponder(
            router: router.buildResponder(), routes: GatewayRoutes.routes, serverHeader: "Courier/\(serverVersion)",
            logger: logger, metrics: HTTPMetrics(node: "gateway"))
    }
}
