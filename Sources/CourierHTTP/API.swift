import CourierCore
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

    public init(
        shards: ShardDirectory, randomID: @escaping @Sendable () -> (UInt64, UInt64),
        gatewayStatus: @escaping @Sendable () -> String = { "connected" },
        configuration: APIConfiguration = APIConfiguration(), logger: Logger
    ) {
        self.shards = shards
        self.randomID = randomID
        self.gatewayStatus = gatewayStatus
        self.configuration = configuration
        self.logger = logger
    }
}

public struct APIConfiguration: Sendable {
    /// JSON bodies above this get 413 (`COURIER_BODY_LIMIT_BYTES`).
    public var bodyLimitBytes: Int = 1 << 20
    /// `Server: Courier/<version>`.
    public var serverVersion: String = "0.1.0"

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
        APIRoute(method: .get, path: "/v1/health"),
        APIRoute(method: .post, path: "/v1/messages"),
    ]

    /// The responder to serve: the router wrapped in Courier's conventions (request ids, trailing
    /// slashes, the error object for every failure).
    public static func responder(_ dependencies: APIDependencies) -> some HTTPResponder<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: HTTPErrorMapping(routes: routes))
        HealthRoutes(dependencies: dependencies).register(on: router)
        MessageRoutes(dependencies: dependencies).register(on: router)
        return ConventionsResponder(
            router: router.buildResponder(), routes: routes, serverHeader: "Courier/\(dependencies.configuration.serverVersion)",
            logger: dependencies.logger)
    }
}
