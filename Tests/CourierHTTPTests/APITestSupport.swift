import CourierCore
import CourierGateway
import CourierHTTP
import CourierShards
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization

/// An API over in-memory logs, with deterministic message ids and credentials, driven in process.
///
/// The control stream gets its own storage so that shard tests can count their records exactly.
struct APIHarness {
    /// The admin password tests switch to from the first-start `secret`.
    static let adminPassword = "Adm1n!pass"

    let storage = InMemoryLogStorage()
    let controlStorage: InMemoryLogStorage
    let clock: ManualClock
    let log: InMemoryEventLog
    let shards: ShardDirectory
    /// nil: a node that has not wired users and tokens (routes answer 503/1011).
    let control: ControlActor?
    let configuration: APIConfiguration
    /// What `/metrics` renders; nil leaves metrics off.
    var metricsText: (@Sendable () -> [UInt8])? = nil
    /// The network's directory for `/v1/contacts`.
    var isOnNetwork: @Sendable (String) -> Bool = { _ in true }
    /// The media volume; nil: the media routes answer 503/1011.
    var media: MediaStore? = nil
    /// Media GC over `media`.
    var mediaCollector: MediaCollector? = nil
    /// The simulated network for account, identity and `/gateway` routes; nil leaves them at 503/1011.
    var gateway: GatewaySimulator? = nil
    /// Message GC and stats wiring.
    var stats = StatsDependencies()
    /// `POST /gateway/inbound`'s injection; nil answers 503/1011.
    var injectInbound: (@Sendable (JSONValue) async throws -> String)? = nil
    /// `GET /v1/support`'s facts; nil answers 503/1011.
    var support: (@Sendable () async -> JSONObject)? = nil

    /// `controlStorage` from an earlier harness restarts users and tokens from its control stream.
    init(
        shardCount: Int = 1,
        configuration: APIConfiguration = APIConfiguration(),
        withControl: Bool = true,
        controlStorage: InMemoryLogStorage = InMemoryLogStorage(),
        clock: ManualClock = ManualClock(),
        shards: ShardDirectory? = nil
    ) {
        self.controlStorage = controlStorage
        self.clock = clock
        log = InMemoryEventLog(storage: storage, clock: clock.function)
        self.shards = shards ?? ShardDirectory(shardCount: shardCount, log: log, epoch: 1, logger: Logger(label: "test"))
        control =
            withControl
            ? ControlActor(
                log: InMemoryEventLog(storage: controlStorage, clock: clock.function),
                credentials: .testing(),
                clock: clock.function,
                logger: Logger(label: "test.control")
            )
            : nil
        self.configuration = configuration
    }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        if let control { _ = try await control.start() }
        let counter = Mutex<UInt64>(0)
        var dependencies = APIDependencies(
            shards: shards,
            randomID: {
                counter.withLock {
                    $0 += 1
                    return ($0, $0)
                }
            },
            configuration: configuration,
            logger: Logger(label: "test.http"),
            control: control
        )
        dependencies.metricsText = metricsText
        dependencies.isOnNetwork = isOnNetwork
        dependencies.media = media
        dependencies.mediaCollector = mediaCollector
        dependencies.gateway = gateway
        dependencies.stats = stats
        dependencies.injectInbound = injectInbound
        dependencies.support = support
        let application = Application(responder: CourierAPI.responder(dependencies))
        try await application.test(.router) { client in try await test(client) }
    }
}

extension TestClientProtocol {
    /// `POST /v1/users/login` with Basic credentials and an optional `new_password`.
    func login(
        _ username: String,
        _ password: String,
        newPassword: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        headers[.authorization] = basic(username, password)
        let body = newPassword.map { jsonBody(#"{"new_password":"\#($0)"}"#) }
        return try await execute(uri: "/v1/users/login", method: .post, headers: headers, body: body)
    }

    /// A bearer header for `username`, logging in with `password`.
    func bearer(_ username: String, _ password: String) async throws -> HTTPFields {
        let response = try await login(username, password)
        guard let token = response.json?["users"]?.arrayValue?.first?["token"]?.stringValue else {
            throw HarnessError("login of \(username) failed: \(response.status)")
        }
        return [.authorization: "Bearer \(token)"]
    }

    /// A bearer header for `admin`: the first call replaces `secret` with `APIHarness.adminPassword`.
    func adminAuthorization() async throws -> HTTPFields {
        let first = try await login("admin", "secret", newPassword: APIHarness.adminPassword)
        if let token = first.json?["users"]?.arrayValue?.first?["token"]?.stringValue {
            return [.authorization: "Bearer \(token)"]
        }
        return try await bearer("admin", APIHarness.adminPassword)
    }

    /// Creates `username` as the admin and returns a bearer header for it.
    func createUser(_ username: String, _ password: String, admin: HTTPFields) async throws -> HTTPFields {
        let body = jsonBody(#"{"username":"\#(username)","password":"\#(password)"}"#)
        let response = try await execute(uri: "/v1/users", method: .post, headers: jsonHeaders.with(admin), body: body)
        guard response.status == .created else { throw HarnessError("creating \(username): \(response.status)") }
        return try await bearer(username, password)
    }
}

func basic(_ username: String, _ password: String) -> String {
    "Basic " + Base64Text.encode(Array("\(username):\(password)".utf8))
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension HTTPFields {
    /// These fields plus `other`'s (which win).
    func with(_ other: HTTPFields) -> HTTPFields {
        var merged = self
        for field in other { merged[field.name] = field.value }
        return merged
    }
}

/// Standard padded base64, for Basic credentials in tests.
enum Base64Text {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var output = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = Array(bytes[start..<min(start + 3, bytes.count)])
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for index in 0..<4 {
                output.append(index <= chunk.count ? alphabet[Int((value >> (18 - 6 * UInt32(index))) & 63)] : "=")
            }
        }
        return output
    }
}

extension TestResponse {
    var json: JSONValue? { try? JSONParser.parse(Array(body.readableBytesView)) }  // nil: the test's expectation reports it
    var errorCode: Int64? {
        guard case .integer(let code)? = json?["errors"]?.arrayValue?.first?["code"] else { return nil }
        return code
    }
    var errorDetails: String? { json?["errors"]?.arrayValue?.first?["details"]?.stringValue }
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

let jsonHeaders: HTTPFields = [.contentType: "application/json"]
