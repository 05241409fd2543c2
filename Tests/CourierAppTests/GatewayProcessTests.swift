import CourierApp
import CourierCore
import CourierTesting
import Foundation
import Testing

/// `courier gateway` and `courier serve` as operators run them, spoken to over real HTTP on loopback (curl).
@Suite struct GatewayProcessTests {
    /// Starts `courier` with `arguments`; returns the process and the port it reports listening on.
    func start(_ arguments: [String], stderrPath: String, environment: [String: String] = [:]) async throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try courierExecutable())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<400 {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http.port=") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), port > 0 { return (process, port) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        process.waitUntilExit()
        throw AppError("courier \(arguments.first ?? "") never reported its port: \((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")")
    }

    /// One HTTP request with curl: status and body.
    func curl(_ method: String, _ url: String, body: String? = nil, headers: [String] = []) throws -> (status: Int, body: JSONValue?) {
        let (status, text) = try curlText(method, url, body: body, headers: headers)
        return (status, try? JSONParser.parse(Array(text.utf8)))
    }

    /// One HTTP request with curl: status and the body as text.
    func curlText(_ method: String, _ url: String, body: String? = nil, headers: [String] = []) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "--max-time", "10"]
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["-H", "Content-Type: application/json", "--data", body] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments + [url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]) else {
            throw AppError("curl \(method) \(url) gave no status: \(text)")
        }
        return (status, String(text[..<newline]))
    }

    @Test func standaloneGatewayServesItsControlEndpoints() async throws {
        let directory = try TemporaryDirectory("courier-gateway")
        defer { directory.remove() }
        let (process, port) = try await start(
            ["gateway", "--listen", "127.0.0.1:0", "--seed", "9", "--strict-certs", "--sent-ms", "5", "--read-ratio", "0.5"],
            stderrPath: directory.path + "/stderr.log")
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let codes = try curl("GET", base + "/gateway/codes")
        #expect(codes.status == 200)
        #expect(codes.body == [])
        let cert = try curl("POST", base + "/gateway/certs", body: #"{"cc":"1","phone_number":"6315551000","vname":"Acme","valid_days":30}"#)
        #expect(cert.status == 200)
        #expect(cert.body?["cert"]?.stringValue?.isEmpty == false)
        #expect(try curl("GET", base + "/gateway/templates").body?.arrayValue?.isEmpty == false)
        #expect(try curl("GET", base + "/v1/health").status == 404)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func badGatewayOptionsExitWithUsageErrors() throws {
        let result = try runCourier(["gateway", "--read-ratio", "2"])
        #expect(result.code == 2)
        #expect(result.err.contains("read-ratio"))
    }

    @Test func registrationOverHTTPSurvivesARestart() async throws {
        let directory = try TemporaryDirectory("courier-register")
        defer { directory.remove() }
        let arguments = ["serve", "--data-dir", directory.path + "/data", "--listen", "127.0.0.1:0"]
        let environment = ["COURIER_MIN_FREE_BYTES": "0", "COURIER_LOG_DIR": directory.path + "/logs"]
        var (process, port) = try await start(arguments, stderrPath: directory.path + "/first.log", environment: environment)
        defer { if process.isRunning { process.terminate() } }
        var base = "http://127.0.0.1:\(port)"
        let login = try curl(
            "POST", base + "/v1/users/login", body: #"{"new_password":"Adm1n!pass"}"#,
            headers: ["Authorization: Basic " + Data("admin:secret".utf8).base64EncodedString()])
        let token = try #require(login.body?["users"]?.arrayValue?.first?["token"]?.stringValue, "login: \(login)")
        let auth = ["Authorization: Bearer \(token)"]
        #expect(try curl("GET", base + "/v1/health", headers: auth).body?["health"] == ["gateway_status": "unregistered"])
        let requested = try curl(
            "POST", base + "/v1/account", body: #"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"c"}"#, headers: auth)
        #expect(requested.status == 202)
        let code = try #require(try curl("GET", base + "/gateway/codes").body?.arrayValue?.first?["code"]?.stringValue)
        #expect(try curl("POST", base + "/v1/account/verify", body: #"{"code":"\#(code)"}"#, headers: auth).status == 201)
        #expect(try curl("GET", base + "/v1/health", headers: auth).body?["health"] == ["gateway_status": "connected"])
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        (process, port) = try await start(arguments, stderrPath: directory.path + "/second.log", environment: environment)
        base = "http://127.0.0.1:\(port)"
        #expect(try curl("GET", base + "/v1/health", headers: auth).body?["health"] == ["gateway_status": "connected"])
        #expect(
            try curl("POST", base + "/v1/account", body: #"{"cc":"1","phone_number":"6315551000","method":"sms","cert":"c"}"#, headers: auth)
                .status == 201)
        process.terminate()
        process.waitUntilExit()
        let dump = try runCourier(["log", "dump", "--json", "--data-dir", directory.path + "/data"])
        #expect(dump.code == 0)
        let accountPayloads = dump.out.split(separator: "\n").compactMap { line -> String? in
            guard let record = try? JSONParser.parse(Array(line.utf8)), record["kind"] == "account-change" else { return nil }
            return record["payload"]?.serializedString
        }
        #expect(accountPayloads.count == 2)
        #expect(!accountPayloads.contains { $0.contains(code) }, "the registration code must never be logged")
    }

    @Test func serveExposesTheRequiredMetricSeries() async throws {
        let directory = try TemporaryDirectory("courier-metrics")
        defer { directory.remove() }
        let key = "metrics-key-0123456789"
        let environment = ["COURIER_MIN_FREE_BYTES": "0", "COURIER_LOG_DIR": directory.path + "/logs", "WA_API_KEY": key]
        let (process, port) = try await start(
            ["serve", "--data-dir", directory.path + "/data", "--listen", "127.0.0.1:0"], stderrPath: directory.path + "/serve.log",
            environment: environment)
        defer { if process.isRunning { process.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        let login = try curl(
            "POST", base + "/v1/users/login", body: #"{"new_password":"Adm1n!pass"}"#,
            headers: ["Authorization: Basic " + Data("admin:secret".utf8).base64EncodedString()])
        let token = try #require(login.body?["users"]?.arrayValue?.first?["token"]?.stringValue, "login: \(login)")
        let sent = try curl(
            "POST", base + "/v1/messages", body: #"{"to":"16315551000","type":"text","text":{"body":"hi"}}"#,
            headers: ["Authorization: Bearer \(token)"])
        #expect(sent.status == 201)
        try await Task.sleep(for: .milliseconds(300))  // the embedded gateway's receipts
        let metrics = try curlText("GET", base + "/metrics", headers: ["Authorization: Apikey \(key)"])
        #expect(metrics.status == 200)
        for series in [
            #"courier_http_requests_total{route="/v1/messages",method="POST",status="201"} 1"#,
            "courier_http_request_duration_seconds_bucket", #"courier_messages_accepted_total{type="text"} 1"#,
            #"courier_statuses_total{status="sent"}"#, #"courier_log_appends_total{kind="send"}"#, "courier_log_fsync_seconds_bucket",
            "courier_log_group_commit_events_bucket", "courier_shard_queue_depth", "web_uptime ", #"web_requests{node="#,
        ] {
            #expect(metrics.body.contains(series), "missing \(series)")
        }
        process.terminate()
        process.waitUntilExit()
    }
}

