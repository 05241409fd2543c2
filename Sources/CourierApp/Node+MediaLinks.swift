import AsyncHTTPClient
import CourierCore

extension Node {
    /// Fetches a send's `link` media before the message goes to the network (webhooks.md §3: 400 "Media
    /// download error" when the fetch times out after 30 s, answers other than 2xx, or is over the kind's
    /// size limit). Returns nil when the media could be fetched, else the failure's time.
    static func mediaLinkFetcher(clock: @escaping @Sendable () -> Timestamp) -> @Sendable (String, String) async -> Timestamp? {
        { link, kind in
            let limit = MediaPolicy.Kind(rawValue: kind)?.maximumBytes ?? MediaPolicy.maximumBytes
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: link), timeout: .seconds(30))
                guard (200..<300).contains(response.status.code) else { return clock() }
                _ = try await response.body.collect(upTo: limit)
                return nil
            } catch {
                return clock()
            }
        }
    }
}
