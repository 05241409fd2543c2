import CourierCore
import CourierHTTP
import CourierTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Logging
import Synchronization
import Testing

/// `/v1/media` (api.md §8) over a real media volume in a temporary directory.
@Suite struct MediaAPITests {
    /// A harness with a media volume; the directory is removed afterwards.
    func withMedia(_ test: @escaping @Sendable (any TestClientProtocol, MediaStore, HTTPFields, ManualClock) async throws -> Void) async throws {
        let directory = try TemporaryDirectory("courier-media")
        defer { directory.remove() }
        var harness = APIHarness()
        let clock = harness.clock
        let store = MediaStore(root: directory.path + "/media", clock: clock.function)
        try store.prepare()
        harness.media = store
        try await harness.run { client in
            let auth = try await client.adminAuthorization()
            try await test(client, store, auth, clock)
        }
    }

    func upload(_ client: any TestClientProtocol, _ auth: HTTPFields, type: String?, bytes: [UInt8]) async throws -> TestResponse {
        var headers = auth
        if let type { headers[.contentType] = type }
        return try await client.execute(uri: "/v1/media", method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    func files(_ store: MediaStore) -> [String] {
        ["outgoing", "shared"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: store.root + "/" + folder)) ?? []).map { folder + "/" + $0 }
        }.sorted()
    }

    @Test func uploadDownloadDeleteRoundTrip() async throws {
        try await withMedia { client, store, auth, _ in
            let response = try await upload(client, auth, type: "image/png; charset=binary", bytes: Array("abc".utf8))
            #expect(response.status == .created)
            let id = try #require(response.json?["media"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(MediaPolicy.isWellFormedID(id))
            #expect(Array(id)[14] == "4")  // UUIDv4
            let info = try #require(try await store.info(id: id))
            #expect(info.mimeType == "image/png")
            #expect(info.size == 3)
            #expect(info.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(files(store) == ["outgoing/\(id)", "outgoing/\(id).json"])

            try await client.execute(uri: "/v1/media/\(id)", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/png")
                #expect(String(buffer: response.body) == "abc")
            }
            try await client.execute(uri: "/v1/media/\(id)", method: .delete, headers: auth) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/media/\(id)", method: .get, headers: auth) { response in
                #expect(response.status == .notFound)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/media/\(id)", method: .delete, headers: auth) { response in
                #expect(response.status == .notFound)
                #expect(response.errorCode == 1006)
            }
            #expect(files(store).isEmpty)
        }
    }

    @Test func limitsPerKindAndBadUploads() async throws {
        try await withMedia { client, store, auth, _ in
            let image = try await upload(client, auth, type: "image/jpeg", bytes: [UInt8](repeating: 7, count: 5_000_001))
            #expect(image.status == .contentTooLarge)
            #expect(image.errorCode == 1009)
            let sticker = try await upload(client, auth, type: "image/webp", bytes: [UInt8](repeating: 7, count: 500_001))
            #expect(sticker.status == .contentTooLarge)
            #expect(try await upload(client, auth, type: "image/webp", bytes: [UInt8](repeating: 7, count: 500_000)).status == .created)
            // Anything else valid is a document, up to 64 MB.
            #expect(try await upload(client, auth, type: "application/pdf", bytes: [UInt8](repeating: 7, count: 5_000_001)).status == .created)
            let missing = try await upload(client, auth, type: nil, bytes: [1])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == 1008)
            let empty = try await upload(client, auth, type: "image/png", bytes: [])
            #expect(empty.status == .badRequest)
            #expect(empty.errorCode == 1008)
            for bad in ["png", "image/", "image/p ng", "/png", "a/b/c"] {
                let response = try await upload(client, auth, type: bad, bytes: [1])
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.errorCode == 1009, "\(bad)")
            }
            // Rejected uploads leave nothing behind: two accepted files and their sidecars.
            #expect(files(store).count == 4)
            #expect(!files(store).contains { $0.hasPrefix("shared/") })
            // Unauthenticated uploads are refused.
            #expect(try await upload(client, [:], type: "image/png", bytes: [1]).status == .unauthorized)
            // Ids never reach the file system as paths.
            try await client.execute(uri: "/v1/media/..%2F..%2Fcourier.json", method: .get, headers: auth) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func sendsByIdNeedExistingMediaAndMarkItUsed() async throws {
        try await withMedia { client, store, auth, clock in
            let id = try #require(
                try await upload(client, auth, type: "image/jpeg", bytes: [0xFF, 0xD8, 0xFF]).json?["media"]?.arrayValue?.first?["id"]?.stringValue)
            let created = try #require(try await store.info(id: id)).lastUsed
            clock.advance(microseconds: 60_000_000)
            let send = #"{"to":"16315551000","type":"image","image":{"id":"\#(id)","caption":"hi"}}"#
            try await client.execute(uri: "/v1/messages", method: .post, headers: auth.with(jsonHeaders), body: jsonBody(send)) { response in
                #expect(response.status == .created)
            }
            #expect(try #require(try await store.info(id: id)).lastUsed > created)
            let unknown = #"{"to":"16315551000","type":"image","image":{"id":"0b9d2f3e-1c4a-4d5e-8f60-718293a4b5c6"}}"#
            try await client.execute(uri: "/v1/messages", method: .post, headers: auth.with(jsonHeaders), body: jsonBody(unknown)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == 1006)
            }
            // Deleted media cannot be sent any more (api.md §8.3).
            _ = try await client.execute(uri: "/v1/media/\(id)", method: .delete, headers: auth)
            try await client.execute(uri: "/v1/messages", method: .post, headers: auth.with(jsonHeaders), body: jsonBody(send)) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorCode == 1006)
            }
        }
    }

    @Test func mediaGCRemovesWhatWasNotUsedFor30Days() async throws {
        let directory = try TemporaryDirectory("courier-media-gc")
        defer { directory.remove() }
        var harness = APIHarness()
        let clock = harness.clock
        let store = MediaStore(root: directory.path + "/media", clock: clock.function)
        try store.prepare()
        let results = Mutex<[MediaCollector.Result]>([])
        let collector = MediaCollector(
            store: store, clock: clock.function, logger: Logger(label: "test"),
            onComplete: { result in results.withLock { $0.append(result) } })
        harness.media = store
        harness.mediaCollector = collector
        try await harness.run { client in
            let firstAuth = try await client.adminAuthorization()
            var ids: [String] = []
            for _ in 0..<3 {
                let response = try await upload(client, firstAuth, type: "image/png", bytes: [1, 2, 3])
                ids.append(try #require(response.json?["media"]?.arrayValue?.first?["id"]?.stringValue))
            }
            clock.advance(microseconds: 20 * 86_400 * 1_000_000)
            var auth = try await client.bearer("admin", APIHarness.adminPassword)  // tokens last 7 days
            // Used by a send 20 days in: kept 30 days from then.
            let send = #"{"to":"16315551000","type":"image","image":{"id":"\#(ids[0])"}}"#
            #expect(try await client.execute(uri: "/v1/messages", method: .post, headers: auth.with(jsonHeaders), body: jsonBody(send)).status == .created)
            clock.advance(microseconds: 11 * 86_400 * 1_000_000)
            auth = try await client.bearer("admin", APIHarness.adminPassword)
            try await client.execute(uri: "/v1/services/media/gc", method: .put, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.json?["services"]?["media"]?["gc"]?.objectValue?.members.first?.value == ["status": "processing"])
            }
            await collector.waitIdle()
            #expect(results.withLock { $0.map(\.itemsDeleted) } == [2])
            #expect(try await store.info(id: ids[0]) != nil)
            #expect(try await store.info(id: ids[1]) == nil)
            #expect(try await store.info(id: ids[2]) == nil)
            // Not for plain users.
            let user = try await client.createUser("ops2", "Str0ng!pass", admin: auth)
            #expect(try await client.execute(uri: "/v1/services/media/gc", method: .put, headers: user).status == .forbidden)
        }
    }

    @Test func aSecondMediaGCRequestJoinsTheRunInProgress() async throws {
        let directory = try TemporaryDirectory("courier-media-gc")
        defer { directory.remove() }
        let clock = ManualClock()
        let store = MediaStore(root: directory.path + "/media", clock: clock.function)
        try store.prepare()
        let (gate, opener) = AsyncStream<Void>.makeStream()
        let results = Mutex<[MediaCollector.Result]>([])
        // The run holds at its start until the test opens the gate.
        let collector = MediaCollector(
            store: store, clock: clock.function, logger: Logger(label: "test"),
            exempt: {
                for await _ in gate { break }
                return []
            },
            onComplete: { result in results.withLock { $0.append(result) } })
        await collector.start()
        await collector.start()
        #expect(await collector.isRunning)
        opener.yield()
        await collector.waitIdle()
        #expect(results.withLock { $0.map(\.runID) } == ["media-gc-000001"])
        opener.finish()
    }
}

