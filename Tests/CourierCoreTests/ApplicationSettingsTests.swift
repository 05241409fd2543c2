import CourierCore
import Testing

@Suite struct ApplicationSettingsTests {
    func problems(_ patch: JSONValue, overrides: JSONObject = [:]) -> [APIProblem] {
        do {
            _ = try ApplicationSettings.validatePatch(patch.objectValue ?? [:], overrides: overrides)
            return []
        } catch {
            return error.problems
        }
    }

    func normalized(_ patch: JSONValue, overrides: JSONObject = [:]) throws -> JSONObject {
        try ApplicationSettings.validatePatch(patch.objectValue ?? [:], overrides: overrides)
    }

    @Test func defaultsListEveryFieldOfTheSpec() {
        let settings = ApplicationSettings.effective([:])
        #expect(settings == ApplicationSettings.defaults)
        #expect(settings["webhooks"]?["url"] == "")
        #expect(settings["webhooks"]?["max_concurrent_requests"] == 6)
        #expect(settings["webhooks"]?["message"] == ["sent": true, "delivered": true, "read": true])
        #expect(settings["webhooks"]?["max_batch_size"] == 1)
        #expect(settings["sent_status"] == true)
        #expect(settings["callback_persist"] == true)
        #expect(settings["callback_backoff_delay_ms"] == 3000)
        #expect(settings["max_callback_backoff_delay_ms"] == 900_000)
        #expect(settings["db_garbagecollector_enable"] == false)
        #expect(settings["pass_through"] == false)
        #expect(settings["media"]?["auto_download"] == ["image", "video", "voice", "sticker", "audio", "document"])
        #expect(settings["notify_user_change_number"] == true)
        #expect(settings["show_security_notifications"] == true)
        #expect(settings["webhook_payload_conversation_pricingmodel_disabled"] == false)
        #expect(settings["heartbeat_interval"] == 5)
        #expect(settings["unhealthy_interval"] == 30)
        #expect(settings["skip_referral_media_download"] == false)
        #expect(settings["axolotl_context_striping_disabled"] == false)
        #expect(settings["wa_id"] == "")
        #expect(settings.keys.count == 16)
    }

    @Test func validPatchesAreNormalizedWithLenientValues() throws {
        let patch = try normalized([
            "webhooks": ["url": "https://hooks.example.com/wa?x=1", "max_concurrent_requests": "12"],
            "callback_persist": "false", "heartbeat_interval": .double(10.0), "media": ["auto_download": ["image", "image"]],
        ])
        #expect(
            patch == [
                "webhooks": ["url": "https://hooks.example.com/wa?x=1", "max_concurrent_requests": 12],
                "callback_persist": false, "heartbeat_interval": 10, "media": ["auto_download": ["image"]],
            ]
        )
        #expect(try normalized(["pass_through": "false"]) == ["pass_through": false])
        #expect(try normalized(["webhooks": ["url": ""]]) == ["webhooks": ["url": ""]])
        #expect(try normalized(["media": ["auto_download": []]]) == ["media": ["auto_download": []]])
    }

    @Test func sentStatusAndWebhooksMessageSentAreWrittenTogether() throws {
        let both: JSONObject = ["sent_status": false, "webhooks": ["message": ["sent": false]]]
        #expect(try normalized(["sent_status": false]) == both)
        #expect(try normalized(["webhooks": ["message": ["sent": "false"]]]) == ["webhooks": ["message": ["sent": false]], "sent_status": false])
        let conflict = problems(["sent_status": true, "webhooks": ["message": ["sent": false]]])
        #expect(conflict.map(\.code) == [1009])
        #expect(try normalized(["sent_status": .null]) == ["sent_status": .null, "webhooks": ["message": ["sent": .null]]])
    }

    @Test func eachBadFieldIsReportedWithItsCodeInOnePass() {
        let cases: [(JSONValue, Int, String)] = [
            (["unknown_field": 1], 1010, "unknown_field is not an application setting"),
            (["webhooks": ["nope": true]], 1010, "webhooks.nope is not an application setting"),
            (["webhooks": "x"], 1009, "webhooks must be an object, not a string"),
            (["webhooks": ["url": "ftp://host"]], 1009, "webhooks.url must be an http or https URL"),
            (["webhooks": ["url": "https://"]], 1009, "webhooks.url must name a host"),
            (["webhooks": ["url": "http://a b"]], 1009, "webhooks.url must not contain spaces or control characters"),
            (["webhooks": ["url": .string("https://h/" + String(repeating: "a", count: 2040))]], 1009,
                "webhooks.url must be at most 2048 characters"),
            (["webhooks": ["url": 5]], 1009, "webhooks.url must be a string, not a number"),
            (["webhooks": ["max_concurrent_requests": 0]], 1009, "webhooks.max_concurrent_requests must be between 1 and 100"),
            (["webhooks": ["max_concurrent_requests": 101]], 1009, "webhooks.max_concurrent_requests must be between 1 and 100"),
            (["webhooks": ["max_batch_size": "many"]], 1009, "webhooks.max_batch_size must be an integer"),
            (["webhooks": ["message": ["read": "yes"]]], 1009, "webhooks.message.read must be a boolean"),
            (["callback_persist": 1], 1009, "callback_persist must be a boolean"),
            (["callback_backoff_delay_ms": 99], 1009, "callback_backoff_delay_ms must be between 100 and 86400000"),
            (["max_callback_backoff_delay_ms": 86_400_001], 1009,
                "max_callback_backoff_delay_ms must be between 100 and 86400000"),
            (["callback_backoff_delay_ms": 1_000_000], 1009,
                "callback_backoff_delay_ms (1000000) must not exceed max_callback_backoff_delay_ms (900000)"),
            (["pass_through": true], 1009, "pass_through cannot be enabled"),
            (["media": ["auto_download": ["image", "gif"]]], 1009,
                "media.auto_download[1] must be one of image, video, voice, sticker, audio, document"),
            (["media": ["auto_download": "image"]], 1009, "media.auto_download must be an array, not a string"),
            (["heartbeat_interval": 0], 1009, "heartbeat_interval must be between 1 and 3600"),
            (["unhealthy_interval": 2], 1009, "unhealthy_interval must be between 3 and 3600"),
            (["heartbeat_interval": 30], 1009, "unhealthy_interval (30) must be greater than heartbeat_interval (30)"),
            (["wa_id": "16505551234"], 1009, "wa_id is read-only"),
        ]
        for (patch, code, details) in cases {
            let found = problems(patch)
            #expect(found == [APIProblem(code: code, details: details)], "\(patch.serializedString)")
        }
        let many = problems(["a": 1, "b": 2, "callback_persist": "maybe", "heartbeat_interval": -1])
        #expect(many.map(\.code) == [1010, 1010, 1009, 1009])
    }

    @Test func crossFieldRulesUseTheWholeResult() throws {
        // Raising both together is fine; the current overrides count too.
        #expect(problems(["callback_backoff_delay_ms": 1_000_000, "max_callback_backoff_delay_ms": 2_000_000]).isEmpty)
        #expect(problems(["max_callback_backoff_delay_ms": 500], overrides: ["callback_backoff_delay_ms": 400]).isEmpty)
        #expect(problems(["max_callback_backoff_delay_ms": 300], overrides: ["callback_backoff_delay_ms": 400]).count == 1)
        #expect(problems(["heartbeat_interval": 60, "unhealthy_interval": 61]).isEmpty)
    }

    @Test func waIDIsReadOnlyButTheSameValueIsIgnored() throws {
        #expect(try normalized(["wa_id": ""]) == [:])
        #expect(try normalized(["wa_id": "16505551234"], overrides: ["wa_id": "16505551234"]) == [:])
        #expect(problems(["wa_id": .null]).map(\.code) == [1009])
    }

    @Test func mergePatchFollowsRFC7396AndNullRestoresTheDefault() {
        let target: JSONObject = ["a": "b", "c": ["d": "e", "f": "g"]]
        #expect(ApplicationSettings.mergePatch(target, ["a": "z", "c": ["f": .null]]) == ["a": "z", "c": ["d": "e"]])
        #expect(ApplicationSettings.mergePatch(["a": ["b": "c"]], ["a": "x"]) == ["a": "x"])
        #expect(ApplicationSettings.mergePatch(["a": "x"], ["a": ["b": .null, "c": 1]]) == ["a": ["c": 1]])
        #expect(ApplicationSettings.mergePatch(["a": [1, 2]], ["a": [3]]) == ["a": [3]])
        #expect(ApplicationSettings.mergePatch(["a": 1], ["b": .null]) == ["a": 1])

        let overrides = ApplicationSettings.mergePatch([:], ["webhooks": ["max_batch_size": 5], "callback_persist": false])
        var settings = ApplicationSettings.effective(overrides)
        #expect(settings["webhooks"]?["max_batch_size"] == 5)
        #expect(settings["webhooks"]?["url"] == "")
        #expect(settings["callback_persist"] == false)
        #expect(settings.keys == ApplicationSettings.defaults.keys)
        settings = ApplicationSettings.effective(ApplicationSettings.mergePatch(overrides, ["webhooks": .null]))
        #expect(settings["webhooks"] == ApplicationSettings.defaults["webhooks"])
        #expect(settings["callback_persist"] == false)
        #expect(ApplicationSettings.resetOverrides(["wa_id": "1650", "callback_persist": false]) == ["wa_id": "1650"])
    }

    @Test func settingsChangeEventsRoundTripAndFoldInTheControlState() throws {
        let event = SettingsChangeEvent(section: "application", patch: ["callback_persist": false], reset: true)
        #expect(try SettingsChangeEvent(decoding: event.encoded()) == event)
        #expect(Event.settingsChange(event).kind == .settingsChange)
        #expect(try Event.decode(kind: .settingsChange, payload: event.encoded()) == .settingsChange(event))
        #expect(Event.settingsChange(event).summary == "section=application reset fields=callback_persist")
        #expect(
            Event.settingsChange(event).json
                == ["section": "application", "reset": true, "value": ["callback_persist": false]]
        )
        let bad = SettingsChangeEvent(section: "application", value: Array("{nope".utf8))
        #expect(throws: RecordError.self) { try SettingsChangeEvent(decoding: bad.encoded()) }

        var driver = try ControlDriver.withUsers()
        #expect(try driver.run(.patchApplicationSettings(["webhooks": ["url": "https://h.example/x"], "sent_status": "false"])) == .done)
        #expect(driver.state.applicationSettings["webhooks"]?["url"] == "https://h.example/x")
        #expect(driver.state.applicationSettings["webhooks"]?["message"]?["sent"] == false)
        #expect(driver.state.applicationSettings["sent_status"] == false)
        let count = driver.records.count
        #expect(
            try driver.run(.patchApplicationSettings(["pass_through": true, "x": 1]))
                == .rejected(
                    .invalidSettings([
                        APIProblem(code: 1009, details: "pass_through cannot be enabled"),
                        APIProblem(code: 1010, details: "x is not an application setting"),
                    ])
                )
        )
        #expect(try driver.run(.patchApplicationSettings([:])) == .done)
        #expect(driver.records.count == count)
        #expect(try driver.run(.patchApplicationSettings(["webhooks": ["url": .null], "heartbeat_interval": 7])) == .done)
        #expect(driver.state.applicationSettings["webhooks"]?["url"] == "")
        #expect(driver.state.applicationOverrides["webhooks"]?["url"] == nil)
        #expect(try driver.replayed() == driver.state)
        #expect(try driver.run(.resetApplicationSettings) == .done)
        #expect(driver.state.applicationSettings == ApplicationSettings.defaults)
        #expect(try driver.replayed() == driver.state)
        #expect(try driver.replayed().applicationSettings == ApplicationSettings.defaults)
    }
}
