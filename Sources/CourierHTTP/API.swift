import CourierCore
import CourierCrypto
import CourierGateway
import CourierShards
import Hummingbird
import Logging

/// What the `/v1` routes need from the node, injected so tests build it directly.
public struct APIDependencies: Sendable {
    public var shards: ShardDirectory
    /// 128 random bits per message id (api.md §6.2); seeded in tests.
    public var randomID: @Sendable () -> (UInt64, UInt64)
    /// `gateway_status` for `/v1/health`.
    public var gatewayStatus: @Sendable () -> String
    public var configuration: APIConfiguration
    public var logger: Logger
    /// Users and tokens. nil until the node wires it: then every authenticated route answers 503/1011.
    public var control: ControlActor?
    /// Whether a well-formed `wa_id` is on the network (the gateway's directory), for `/v1/contacts`.
    public var isOnNetwork: @Sendable (String) -> Bool = { _ in true }
    /// Renders `/metrics` in Prometheus text format; nil answers 503/1011.
    public var metricsText: (@Sendable () -> [UInt8])? = nil
    /// Told about a certificate `POST /v1/certificates/external` stored, once durable (the node swaps it in).
    public var externalCertificateChanged: (@Sendable (CertificateBundle) -> Void)? = nil
    /// Media GC (api.md §11.2); nil answers 503/1011.
    public var mediaCollector: MediaCollector? = nil
    /// This node's key, keying per-node answers (`/v1/services/*/gc`).
    public var nodeKey: String = "courier"
    /// `GET /v1/support` (api.md §14); nil answers 503/1011.
    public var support: (@Sendable () async -> JSONObject)? = nil
    /// The media volume (api.md §8); nil answers 503/1011 on the media routes.
    public var media: MediaStore? = nil
    /// PEM of the local CA behind the node's self-signed HTTPS certificate (`GET /v1/certificates/external/ca`).
    public var localCertificateAuthorityPEM: String? = nil
    /// The simulated network: registration codes, certificates, identities, and its `/gateway` control endpoints.
    /// nil: account and identity routes answer 503/1011 and `/gateway` is not mounted.
    public var gateway: GatewaySimulator? = nil
    /// Where out-of-band errors found by a route go (webhooks.md §6: a reshard rolled back, 1014).
    public var outOfBandErrors: OutOfBandErrors? = nil
    /// Message GC and `/v1/stats/*`: see `ServiceRoutes` and `StatsRoutes`.
    public var stats = StatsDependencies()
    /// `POST /gateway/inbound`: validates and logs an injected inbound message, returning its id; throws
    /// `ValidationFailure` or `ShardError`. nil answers 503/1011 (no embedded network).
    public var injectInbound: (@Sendable (JSONValue) async throws -> String)? = nil
    /// Callback queue and request counters, for `/v1/stats/app`; nil before the dispatcher is wired.
    public var webhookStats: (@Sendable () -> WebhookStats)? = nil

    public init(
        shards: ShardDirectory, randomID: @escaping @Sendable () -> (UInt64, UInt64),
        gatewayStatus: @escaping @Sendable () -> String = { "connected" },
        configuration: APIConfiguration = APIConfiguration(), logger: Logger, control: ControlActor? = nil
    ) {
        self.shards = shards
        self.randomID = randomID
        self.gatewayStatus = gatewayStatus
        self.configuration = configuration
        self.logger = logger
        self.control = control
    }
}

public struct APIConfiguration: Sendable {
    /// JSON bodies above this get 413 (`COURIER_BODY_LIMIT_BYTES`).
    public var bodyLimitBytes: Int = 1 << 20
    /// `Server: Courier/<version>`.
    public var serverVersion: String = "0.1.0"
    /// `WA_API_KEY`: when set, `Authorization: Apikey <key>` is accepted on `GET /v1/health` (and later
    /// `/metrics`, `/v1/stats/*`), api.md §1.2. `courier` checks its 12–128 characters before starting.
    public var apiKey: String? = nil

    public init() {}
}

/// A route the API serves: the table behind 405 answers and the OpenAPI document.
public struct APIRoute: Hashable, Sendable {
    public var method: HTTPRequest.Method
    public var path: String
}

/// Builds the `/v1` HTTP surface.
public enum CourierAPI {
    public static let routes: [APIRoute] = [
        APIRoute(method: .post, path: "/v1/users/login"),
        APIRoute(method: .post, path: "/v1/users/logout"),
        APIRoute(method: .post, path: "/v1/users"),
        APIRoute(method: .get, path: "/v1/users/{username}"),
        APIRoute(method: .put, path: "/v1/users/{username}"),
        APIRoute(method: .delete, path: "/v1/users/{username}"),
        APIRoute(method: .post, path: "/v1/account"),
        APIRoute(method: .post, path: "/v1/account/verify"),
        APIRoute(method: .get, path: "/v1/account/shards"),
        APIRoute(method: .post, path: "/v1/account/shards"),
        APIRoute(method: .post, path: "/v1/settings/account/two-step"),
        APIRoute(method: .delete, path: "/v1/settings/account/two-step"),
        APIRoute(method: .get, path: "/v1/contacts/{wa_id}/identity"),
        APIRoute(method: .put, path: "/v1/contacts/{wa_id}/identity"),
        APIRoute(method: .get, path: "/v1/health"),
        APIRoute(method: .post, path: "/v1/messages"),
        APIRoute(method: .put, path: "/v1/messages/{message-id}"),
        APIRoute(method: .post, path: "/v1/contacts"),
        APIRoute(method: .get, path: "/v1/settings/application"),
        APIRoute(method: .patch, path: "/v1/settings/application"),
        APIRoute(method: .delete, path: "/v1/settings/application"),
        APIRoute(method: .post, path: "/v1/settings/backup"),
        APIRoute(method: .post, path: "/v1/settings/restore"),
        APIRoute(method: .get, path: "/v1/settings/application/media/providers"),
        APIRoute(method: .post, path: "/v1/settings/application/media/providers"),
        APIRoute(method: .delete, path: "/v1/settings/application/media/providers/{name}"),
        APIRoute(method: .get, path: "/v1/settings/profile/about"),
        APIRoute(method: .patch, path: "/v1/settings/profile/about"),
        APIRoute(method: .get, path: "/v1/settings/profile/photo"),
        APIRoute(method: .post, path: "/v1/settings/profile/photo"),
        APIRoute(method: .get, path: "/v1/settings/business/profile"),
        APIRoute(method: .post, path: "/v1/settings/business/profile"),
        APIRoute(method: .get, path: "/v1/settings/business/compliance_info"),
        APIRoute(method: .post, path: "/v1/settings/business/compliance_info"),
        APIRoute(method: .get, path: "/v1/support"),
        APIRoute(method: .put, path: "/v1/services/media/gc"),
        APIRoute(method: .post, path: "/v1/media"),
        APIRoute(method: .get, path: "/v1/media/{id}"),
        APIRoute(method: .delete, path: "/v1/media/{id}"),
        APIRoute(method: .get, path: "/v1/certificates/external/ca"),
        APIRoute(method: .post, path: "/v1/certificates/external"),
        APIRoute(method: .get, path: "/v1/certificates/webhooks/ca"),
        APIRoute(method: .post, path: "/v1/certificates/webhooks/ca"),
        APIRoute(method: .delete, path: "/v1/certificates/webhooks/ca"),
        APIRoute(method: .put, path: "/v1/services/message/gc"),
        APIRoute(method: .get, path: "/v1/stats/app"),
        APIRoute(method: .get, path: "/v1/stats/app/internal"),
        APIRoute(method: .get, path: "/v1/stats/db"),
        APIRoute(method: .get, path: "/v1/stats/db/internal"),
        APIRoute(method: .get, path: "/metrics"),
        APIRoute(method: .get, path: "/openapi.json"),
        APIRoute(method: .post, path: "/gateway/inbound"),
    ] + GatewayRoutes.routes

    /// The responder to serve: the router wrapped in Courier's conventions (request ids, trailing
    /// slashes, the error object for every failure).
    public static func responder(_ dependencies: APIDependencies) -> some HTTPResponder<CourierRequestContext> {
        let router = Router(context: CourierRequestContext.self)
        router.add(middleware: HTTPErrorMapping(routes: routes))
        router.add(middleware: EndpointCounting(routes: routes, counter: dependencies.stats.endpointRequests))
        // Every route but login and /openapi.json sits behind an authenticator (api.md §1.2); it runs only once a route matched,
        // so unknown paths stay 404 and wrong methods 405 without credentials.
        let users = router.group().add(middleware: Authenticator(.user, dependencies: dependencies))
        let admins = router.group().add(middleware: Authenticator(.admin, dependencies: dependencies))
        let monitors = router.group().add(middleware: Authenticator(.userOrAPIKey, dependencies: dependencies))
        let userRoutes = UserRoutes(dependencies: dependencies)
        userRoutes.registerLogin(on: router)
        userRoutes.register(users: users, admins: admins)
        HealthRoutes(dependencies: dependencies).register(on: monitors)
        MetricsRoutes(dependencies: dependencies).register(on: monitors)
        MessageRoutes(dependencies: dependencies).register(on: users)
        MessageReadRoutes(dependencies: dependencies).register(on: users)
        GatewayInboundRoutes(dependencies: dependencies).register(on: router)
        ContactRoutes(dependencies: dependencies).register(on: users)
        MediaRoutes(dependencies: dependencies).register(on: users)
        SettingsRoutes(dependencies: dependencies).register(admins: admins)
        CertificateRoutes(dependencies: dependencies).register(admins: admins)
        SettingsSectionRoutes(dependencies: dependencies).register(admins: admins)
        SupportRoutes(dependencies: dependencies).register(admins: admins)
        MediaGCRoutes(dependencies: dependencies).register(admins: admins)
        AccountRoutes(dependencies: dependencies).register(admins: admins)
        ContactIdentityRoutes(dependencies: dependencies).register(on: users)
        if let gateway = dependencies.gateway {
            GatewayRoutes(gateway: gateway, bodyLimit: dependencies.configuration.bodyLimitBytes).register(on: router)
        }
        ServiceRoutes(dependencies: dependencies).register(admins: admins)
        StatsRoutes(dependencies: dependencies).register(on: monitors)
        OpenAPIRoutes().register(on: router)
        return ConventionsResponder(
            router: router.buildResponder(), routes: routes, serverHeader: "Courier/\(dependencies.configuration.serverVersion)",
            logger: dependencies.logger, metrics: HTTPMetrics(node: dependencies.nodeKey))
    }
}
