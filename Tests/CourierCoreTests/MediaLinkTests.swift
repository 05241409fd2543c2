@testable import CourierCore
import Testing

/// Sends by `link` with a media provider (api.md §6.1, §9.2): what the dispatch carries, and which
/// credentials a stored providers section yields.
@Suite struct MediaLinkTests {
    @Test func theDispatchCarriesTheLinkAndItsProviderName() {
        let named = Array(#"{"link":"https://media.example/a.jpg","provider":{"name":"cdn"}}"#.utf8)
        #expect(MediaPolicy.mediaLink(in: named, type: "image") == MediaLink(url: "https://media.example/a.jpg", provider: "cdn"))
        let plain = Array(#"{"link":"https://media.example/a.jpg"}"#.utf8)
        #expect(MediaPolicy.mediaLink(in: plain, type: "document") == MediaLink(url: "https://media.example/a.jpg"))
        #expect(MediaPolicy.mediaLink(in: Array(#"{"id":"f0e1"}"#.utf8), type: "image") == nil)
        #expect(MediaPolicy.mediaLink(in: Array(#"{"body":"x"}"#.utf8), type: "text") == nil)
    }

    @Test func credentialsComeFromTheNamedProvidersConfig() {
        let section: JSONValue = [
            "providers": [
                ["name": "basic", "type": "www", "config": ["basic": ["username": "u", "password": "p"]]],
                ["name": "bearer", "type": "www", "config": ["bearer": "t0k"]],
                ["name": "empty", "type": "www", "config": [:]],
            ]
        ]
        #expect(MediaProviderCredentials.find("basic", in: section) == .basic(username: "u", password: "p"))
        #expect(MediaProviderCredentials.find("bearer", in: section) == .bearer("t0k"))
        #expect(MediaProviderCredentials.find("empty", in: section) == nil)
        #expect(MediaProviderCredentials.find("missing", in: section) == nil)
        #expect(MediaProviderCredentials.find("basic", in: nil) == nil)
        #expect(MediaProviderCredentials.isConfigured("empty", in: section))
        #expect(!MediaProviderCredentials.isConfigured("missing", in: section))
        #expect(!MediaProviderCredentials.isConfigured("basic", in: nil))
    }
}
