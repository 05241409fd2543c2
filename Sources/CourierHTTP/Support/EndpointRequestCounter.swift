import HTTPTypes
import Hummingbird
import Synchronization

/// Requests per route and outcome, for `endpoint_requests{endpoint,result}` in `/v1/stats/app`.
public final class EndpointRequestCounter: Sendable {
    public struct Key: Hashable, Sendable {
        /// The route as `CourierAPI.routes` names it (`/v1/users/{username}`).
        public var endpoint: String
        /// `success` (status below 400) or `failure`.
        public var result: String
    }

    private let counts = Mutex<[Key: Int]>([:])

    public init() {}

    public var snapshot: [Key: Int] { counts.withLock { $0 } }

    func record(endpoint: String, success: Bool) {
        counts.withLock { $0[Key(endpoint: endpoint, result: success ? "success" : "failure"), default: 0] += 1 }
    }
}

/// Counts each request that matched a route (so unknown paths add no series).
struct EndpointCounting<Context: RequestContext>: RouterMiddleware {
    let routes: [APIRoute]
    let counter: EndpointRequestCounter
    /// Every listed route: the router's matched endpoint path (`/v1/users/{username}`)
    /// is looked up here first, which spares matching the path against every route on each request
    /// (HTTP benchmark profile: that split every pattern into substrings per request).
    private let listed: Set<APIRoute>

    init(routes: [APIRoute], counter: EndpointRequestCounter) {
        self.routes = routes
        self.counter = counter
        self.listed = Set(routes)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            if let endpoint = endpoint(request, context: context) { counter.record(endpoint: endpoint, success: response.status.code < 400) }
            return response
        } catch {
            if let endpoint = endpoint(request, context: context) { counter.record(endpoint: endpoint, success: false) }
            throw error
        }
    }

    /// The listed route the request matched, if any. The router sets the endpoint path before the
    /// route's middleware runs (and "NotFound" for unknown paths, which falls through to matching).
    private func endpoint(_ request: Request, context: Context) -> String? {
        if let matched = context.coreContext.endpointPath.value,
            listed.contains(APIRoute(method: request.method, path: matched))
        {
            return matched
        }
        return routes.first { $0.method == request.method && HTTPErrorMapping<Context>.matches(pattern: $0.path, path: request.uri.path) }?.path
    }
}
