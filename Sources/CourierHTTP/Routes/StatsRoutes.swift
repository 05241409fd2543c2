import CourierCore
import CourierShards
import HTTPTypes
import Hummingbird
import NIOCore

/// One metric family of `/v1/stats/*` (api.md §12.1): JSON `{"type","help","data":[{"labels","value"}]}`
/// or Prometheus text.
struct MetricFamily: Sendable {
    var name: String
    var type: String
    var help: String
    var samples: [(labels: [(String, String)], value: Int64)]

    var json: JSONValue {
        let data: [JSONValue] = samples.map { sample in
            ["labels": .object(JSONObject(sample.labels.map { (key: $0.0, value: .string($0.1)) })), "value": .integer(sample.value)]
        }
        return ["type": .string(type), "help": .string(help), "data": .array(data)]
    }

    var prometheus: String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for sample in samples {
            let labels = sample.labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",")
            text += name + (labels.isEmpty ? "" : "{\(labels)}") + " \(sample.value)\n"
        }
        return text
    }
}

/// `GET /v1/stats/app` and `/v1/stats/db` (+ `/internal`), Bearer or Apikey: single node, flat. The db
/// figures come from shard-state counters, never a scan; `/internal` adds per-shard series.
struct StatsRoutes {
    let dependencies: APIDependencies

    func register(on router: some RouterMethods<CourierRequestContext>) {
        router.get("/v1/stats/app") { request, _ in try await respond(request, section: "app", families: appFamilies(detailed: false)) }
        router.get("/v1/stats/app/internal") { request, _ in
            try await respond(request, section: "app", families: appFamilies(detailed: true))
        }
        router.get("/v1/stats/db") { request, _ in try await respond(request, section: "db", families: dbFamilies(detailed: false)) }
        router.get("/v1/stats/db/internal") { request, _ in
            try await respond(request, section: "db", families: dbFamilies(detailed: true))
        }
    }

    private func respond(_ request: Request, section: String, families: [MetricFamily]) throws -> Response {
        switch request.uri.queryParameters.get("format") {
        case "prometheus"?:
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = families.map(\.prometheus).joined()
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        case nil, "json"?:
            let object = JSONObject(families.map { (key: $0.name, value: $0.json) })
            return APIResponse.json(.ok, ["stats": [section: .object(object)]])
        case let other?:
            throw APIError(1009, "format must be json or prometheus, not \(other)")
        }
    }

    private func appFamilies(detailed: Bool) async -> [MetricFamily] {
        let callbacks = await dependencies.stats.callbacks()
        var families = [
            MetricFamily(
                name: "callback_queue_size", type: "gauge", help: "Callbacks waiting for delivery",
                samples: [([], Int64(callbacks.queueSize))]),
            MetricFamily(
                name: "callback_requests", type: "counter", help: "Callback attempts",
                samples: callbacks.requests.sorted { ($0.key.result, $0.key.type) < ($1.key.result, $1.key.type) }.map {
                    ([("result", $0.key.result), ("type", $0.key.type)], Int64($0.value))
                }),
        ]
        let endpoints = dependencies.stats.endpointRequests.snapshot
        families.append(
            MetricFamily(
                name: "endpoint_requests", type: "counter", help: "API requests by endpoint and outcome",
                samples: endpoints.sorted { ($0.key.endpoint, $0.key.result) < ($1.key.endpoint, $1.key.result) }.map {
                    ([("endpoint", $0.key.endpoint), ("result", $0.key.result)], Int64($0.value))
                }))
        var runs: [String: Int] = [:]
        var running = false
        if let gc = dependencies.stats.messageGC {
            runs = await gc.runCounts
            running = await gc.isRunning
        }
        families.append(
            MetricFamily(
                name: "message_gc_runs", type: "counter", help: "Message GC runs by outcome",
                samples: ["complete", "failed"].map { ([("status", $0)], Int64(runs[$0] ?? 0)) }))
        families.append(
            MetricFamily(
                name: "message_gc_running", type: "gauge", help: "1 while a message GC run is in progress",
                samples: [([], running ? 1 : 0)]))
        if detailed {
            var deleted: [(labels: [(String, String)], value: Int64)] = []
            for actor in dependencies.shards.actors {
                let counters = await actor.counters
                deleted.append(([("shard", String(counters.shard))], Int64(counters.lastGC?.messagesDeleted ?? 0)))
            }
            families.append(
                MetricFamily(
                    name: "message_gc_last_run_deleted", type: "gauge", help: "Messages the last GC run deleted, per shard",
                    samples: deleted))
        }
        return families
    }

    private func dbFamilies(detailed: Bool) async -> [MetricFamily] {
        var perShard: [ShardCounters] = []
        for actor in dependencies.shards.actors { perShard.append(await actor.counters) }
        let callbacks = await dependencies.stats.callbacks()
        func family(_ name: String, _ help: String, _ value: (ShardCounters) -> Int) -> MetricFamily {
            var samples: [(labels: [(String, String)], value: Int64)] = [([], Int64(perShard.reduce(0) { $0 + value($1) }))]
            if detailed { samples += perShard.map { ([("shard", String($0.shard))], Int64(value($0))) } }
            return MetricFamily(name: name, type: "gauge", help: help, samples: samples)
        }
        return [
            // Contacts and inbound receipts are not held in shard state yet: 0 until they are.
            family("db_contacts", "Contacts known", { _ in 0 }),
            family("db_messages", "Messages held", { $0.messages }),
            family("db_message_receipts", "Inbound messages held", { _ in 0 }),
            MetricFamily(
                name: "db_pending_callbacks", type: "gauge", help: "Callbacks not yet delivered",
                samples: [([], Int64(callbacks.queueSize))]),
            family("db_pending_messages", "Sends not yet sent to the network", { $0.pendingMessages }),
        ]
    }
}
