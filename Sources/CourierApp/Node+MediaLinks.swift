import AsyncHTTPClient
import CourierCore
import CourierShards
import Foundation
import Synchronization

extension Node {
    /// Fetches a send's `link` media before the message goes to the network (webhooks.md §3: 400 "Media
    /// download error" when the fetch times out after 30 s, answers other than 2xx, or is over the kind's
    /// size limit). A send naming `provider` is fetched with that media provider's credentials as they
    /// are configured now (api.md §9.2: `Authorization: Bearer` or `Basic`); a provider removed since the
    /// send was accepted fails the fetch. Returns nil when the media could be fetched, else the failure's time.
    static func mediaLinkFetcher(
        clock: @escaping @Sendable () -> Timestamp, providers: @escaping @Sendable () async -> JSONValue?
    ) -> @Sendable (MediaLink, String) async -> Timestamp? {
        { link, kind in
            let limit = MediaPolicy.Kind(rawValue: kind)?.maximumBytes ?? MediaPolicy.maximumBytes
            var request = HTTPClientRequest(url: link.url)
            if let name = link.provider {
                guard let credentials = MediaProviderCredentials.find(name, in: await providers()) else { return clock() }
                request.headers.add(name: "Authorization", value: credentials.authorization)
            }
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                guard (200..<300).contains(response.status.code) else { return clock() }
                _ = try await response.body.collect(upTo: limit)
                return nil
            } catch {
                return clock()
            }
        }
    }
}

extension MediaProviderCredentials {
    /// The `Authorization` header value.
    var authorization: String {
        switch self {
        case .bearer(let token): "Bearer \(token)"
        case .basic(let username, let password): "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        }
    }
}

/// A value that exists only later in start-up (the control actor, created after the shards replay) but
/// is needed by closures made before: readers wait until it is set.
final class LateBound<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>((nil, []))

    func set(_ value: Value) {
        let waiters = state.withLock { state in
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let value = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.waiters.append(continuation)
                    return nil
                }
                if let value { continuation.resume(returning: value) }
            }
        }
    }
}
