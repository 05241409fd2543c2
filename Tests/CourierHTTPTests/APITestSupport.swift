import CourierCore
import CourierHTTP
import CourierShards
import CourierTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization

/// An API over an in-memory log, with deterministic message ids, driven in process.
struct APIHarness {
    let storage = InMemoryLogStorage()
    let log: InMemoryEventLog
    let shards: ShardDirectory
    let configuration: APIConfiguration

    init(shardCount: Int = 1, configuration: APIConfiguration = APIConfiguration()) {
        log = InMemoryEventLog(storage: storage, clock: ManualClock().function)
        shards = ShardDirectory(shardCount: shardCount, log: log, epoch: 1, logger: Logger(label: "test"))
        self.configuration = configuration
    }

    func run(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let counter = Mutex<UInt64>(0)
        let dependencies = APIDependencies(
            shards: shards,
            randomID: { counter.withLock { $0 += 1; return ($0, $0) } },
            configuration: configuration, logger: Logger(label: "test.http"))
        let application = Application(responder: CourierAPI.responder(dependencies))
        try await application.test(.router) { client in try await test(client) }
    }
}

extension TestResponse {
    var json: JSONValue? { try? JSONParser.parse(Array(body.readableBytesView)) }  // nil: the test's expectation reports it
    var errorCode: Int64? {
        guard case .integer(let code)? = json?["errors"]?.arrayValue?.first?["code"] else { return nil }
        return code
    }
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

let jsonHeaders: HTTPFields = [.contentType: "application/json"]
