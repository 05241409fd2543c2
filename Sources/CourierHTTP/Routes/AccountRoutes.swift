import CourierCore
import CourierGateway
import CourierShards
import HTTPTypes
import Hummingbird

/// `/v1/account` (api.md §4) and `/v1/settings/account/two-step` (§9.3), admin only. Registration goes through
/// the gateway, which makes and checks the codes; Courier logs `account-change` events and answers once durable.
struct AccountRoutes {
    let dependencies: APIDependencies

    func register(admins: some RouterMethods<CourierRequestContext>) {
        admins.post("/v1/account") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            let codeRequest: AccountCodeRequest
            switch AccountValidation.validateCodeRequest(body) {
            case .success(let valid): codeRequest = valid
            case .failure(let failure): throw APIError(failure)
            }
            let gateway = try dependencies.reachableGateway()
            let vname = try Self.verifiedName(codeRequest.cert, cc: codeRequest.cc, phoneNumber: codeRequest.phoneNumber, gateway: gateway)
            let reply = try await UserRoutes.perform {
                try await control.requestCode(codeRequest, vname: vname) {
                    guard gateway.status == "connected" else { throw GatewayUnreachable() }
                    gateway.registry.issueCode(cc: codeRequest.cc, phoneNumber: codeRequest.phoneNumber, method: codeRequest.method)
                }
            }
            switch reply {
            case .codeRequested(let vname):
                return APIResponse.json(.accepted, ["account": [["vname": .string(vname)]]])
            case .alreadyRegistered, .done:
                return APIResponse.json(.created, [:])
            case .rejected(let rejection):
                throw Self.apiError(rejection)
            }
        }
        admins.post("/v1/account/verify") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try UserRoutes.object(try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes))
            let text = try UserRoutes.requiredString(body, "code")
            guard let code = AccountValidation.code(text) else {
                throw APIError(1009, "code must be 6 digits (123456 or 123-456)")
            }
            let gateway = try dependencies.reachableGateway()
            let reply = try await UserRoutes.perform {
                try await control.verify { cc, phoneNumber in gateway.registry.checkCode(cc: cc, phoneNumber: phoneNumber, code: code) }
            }
            switch reply {
            case .done, .alreadyRegistered, .codeRequested: return APIResponse.json(.created, [:])
            case .rejected(let rejection): throw Self.apiError(rejection)
            }
        }
        admins.get("/v1/account/shards") { _, _ -> Response in
            APIResponse.json(.ok, ["account": ["shards": .integer(Int64(dependencies.shards.shardCount))]])
        }
        admins.post("/v1/account/shards") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            let shardRequest: ShardCountRequest
            switch AccountValidation.validateShardRequest(body) {
            case .success(let valid): shardRequest = valid
            case .failure(let failure): throw APIError(failure)
            }
            let reply = try await UserRoutes.perform { try await control.authorizeShardChange(shardRequest) }
            if case .rejected(let rejection) = reply {
                throw rejection == .notRegistered
                    ? APIError(1011, "the account is not registered", status: .forbidden) : Self.apiError(rejection)
            }
            if let cert = shardRequest.cert {
                let gateway = try dependencies.reachableGateway()
                _ = try Self.verifiedName(cert, cc: shardRequest.cc, phoneNumber: shardRequest.phoneNumber, gateway: gateway)
            }
            // Online resharding on this node (cluster.md §8): 201 once the new map is committed and serving.
            let logger = dependencies.logger
            do {
                _ = try await dependencies.shards.reshard(
                    to: shardRequest.shards, control: control, nodeKey: dependencies.nodeKey,
                    onAbort: { reason in
                        logger.error("shard count change rolled back", metadata: ["reshard.reason": "\(reason)"])
                        await dependencies.outOfBandErrors?.report(condition: .reshardRolledBack, details: reason)
                    })
            } catch let error as ReshardError {
                throw APIError(1011, error.message, status: .forbidden)
            }
            return APIResponse.json(.created, [:])
        }
        admins.post("/v1/settings/account/two-step") { request, _ -> Response in
            let control = try dependencies.requireControl()
            var request = request
            let body = try await request.jsonBody(limit: dependencies.configuration.bodyLimitBytes)
            let pin: String
            switch AccountValidation.validateTwoStep(body) {
            case .success(let valid): pin = valid
            case .failure(let failure): throw APIError(failure)
            }
            let reply = try await UserRoutes.perform { try await control.setTwoStep(pin: pin) }
            if case .rejected(let rejection) = reply { throw Self.apiError(rejection) }
            return APIResponse.json(.ok, [:])
        }
        admins.delete("/v1/settings/account/two-step") { _, _ -> Response in
            let control = try dependencies.requireControl()
            let reply = try await UserRoutes.perform { try await control.clearTwoStep() }
            if case .rejected(let rejection) = reply { throw Self.apiError(rejection) }
            return APIResponse.json(.ok, [:])
        }
    }

    /// api.md §4.1: an invalid, expired or mismatched certificate → 400, 1005.
    static func verifiedName(_ cert: String, cc: String, phoneNumber: String, gateway: GatewaySimulator) throws -> String {
        switch gateway.registry.verifiedName(certificate: cert, cc: cc, phoneNumber: phoneNumber) {
        case .success(let vname): return vname
        case .failure: throw APIError(1005, "verified name certificate is not valid", status: .badRequest)
        }
    }

    static func apiError(_ rejection: AccountRejection) -> APIError {
        switch rejection {
        case .pinRequired:
            APIError(1005, "two-step verification is on for this number: the pin is wrong or missing", status: .forbidden)
        case .noPendingRequest:
            APIError(1009, "no pending registration request, or its code expired: request a new code")
        case .notRegistered:
            // As api.md §4.4 answers it: a request that cannot run yet is 403/1011, not a server fault.
            APIError(1011, "the account is not registered", status: .forbidden)
        case .wrongCode:
            APIError(1009, "the code is wrong")
        case .tooManyAttempts:
            APIError(1015, "too many wrong codes: the request is invalidated, request a new code")
        case .notTheRegisteredNumber:
            APIError(1009, "cc and phone_number must be the registered number")
        }
    }
}

/// The gateway refused or dropped the session while a code was requested.
struct GatewayUnreachable: Error {}

extension APIDependencies {
    /// The gateway, when it is connected; else 503, 1011 (api.md §4.1).
    func reachableGateway() throws -> GatewaySimulator {
        guard let gateway, gateway.status == "connected" else {
            var headers = HTTPFields()
            headers[.retryAfter] = "1"
            throw APIError(1011, "the gateway is unreachable", headers: headers)
        }
        return gateway
    }
}
