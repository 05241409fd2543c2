import HTTPTypes
import Metrics
import Synchronization

/// `courier_http_requests_total` and `courier_http_request_duration_seconds` `{route,method,status}`, and
/// the compatibility series `web_requests{node,state}` (api.md §12.2). Handles are made once per label
/// set and cached: the hot path does a dictionary lookup, not a factory call.
final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct Handles {
        var requests: Counter
        var duration: Timer
        var compatibility: Counter
    }

    private let node: String
    private let handles = Mutex<[Key: Handles]>([:])

    init(node: String) { self.node = node }

    func record(route: String?, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        let key = Key(route: route ?? "unmatched", method: method.rawValue, status: status.code)
        let handle = handles.withLock { handles in
            if let existing = handles[key] { return existing }
            let dimensions = [("route", key.route), ("method", key.method), ("status", String(key.status))]
            let made = Handles(
                requests: Counter(label: "courier_http_requests_total", dimensions: dimensions),
                duration: Timer(label: "courier_http_request_duration_seconds", dimensions: dimensions),
                compatibility: Counter(
                    label: "web_requests", dimensions: [("node", node), ("state", key.status < 400 ? "success" : "failure")]))
            handles[key] = made
            return made
        }
        handle.requests.increment()
        handle.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        handle.compatibility.increment()
    }
}
