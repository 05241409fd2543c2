import CourierCore
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /metrics` (api.md §12.2): Prometheus text format, Bearer or Apikey. No `meta` (not JSON).
struct MetricsRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/metrics") { _, _ -> Response in
            guard let render = dependencies.metricsText else {
                throw APIError(1011, "metrics are not enabled on this node")
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: render())))
        }
    }
}
