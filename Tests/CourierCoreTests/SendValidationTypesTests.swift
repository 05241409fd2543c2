import CourierCore
import Testing

/// api.md §6.1 type objects other than text: one valid body per shape, then every error path with its
/// code and the JSON path its details name.
@Suite struct SendValidationTypesTests {
    static func body(_ type: String, _ content: JSONValue) -> JSONValue {
        ["to": "16315551000", "type": .string(type), .init(stringLiteral: type): content]
    }

    static let imageLink: JSONValue = ["link": "https://example.com/image.png"]

    // MARK: Valid bodies

    static let validBodies: [(String, JSONValue)] = [
        ("image", ["link": "https://example.com/a.jpg", "caption": "The best succulent ever?"]),
        ("image", ["id": "b3f1c2d4-7a8e-4f90-9c1d-2e3f4a5b6c7d"]),
        ("image", ["link": "https://cdn.example.com:8443/a.png?x=1#y", "provider": ["name": "cdn"]]),
        ("video", ["id": "b3f1c2d4-7a8e-4f90-9c1d-2e3f4a5b6c7d", "caption": ""]),
        ("document", ["link": "http://[::1]:8080/report.pdf", "filename": "report.pdf", "caption": "Q3"]),
        ("audio", ["id": "b3f1c2d4-7a8e-4f90-9c1d-2e3f4a5b6c7d"]),
        ("sticker", ["link": "HTTPS://user:pw@example.com/s.webp"]),
        (
            "location",
            ["latitude": .double(37.48), "longitude": .double(-122.15), "name": "Meta HQ", "address": "1 Hacker Way"]
        ),
        ("location", ["latitude": "-90", "longitude": "180"]),
        (
            "contacts",
            [
                [
                    "addresses": [
                        ["street": "1 Hacker Way", "city": "Menlo Park", "country_code": "us", "type": "HOME"]
                    ],
                    "birthday": "2000-02-29",
                    "emails": [["email": "test@fb.com", "type": "WORK"]],
                    "name": ["formatted_name": "John Smith", "first_name": "John", "last_name": "Smith"],
                    "org": ["company": "WhatsApp", "department": "Design", "title": "Manager"],
                    "phones": [
                        ["phone": "+1 (940) 555-1234", "type": "HOME"],
                        ["phone": "+1 (650) 555-1234", "wa_id": "16505551234"],
                    ],
                    "urls": [["url": "https://www.facebook.com", "type": "WORK"]],
                ],
                ["name": ["formatted_name": "Jane"]],
            ]
        ),
        (
            "template",
            [
                "namespace": "cdb2df51_9816_c754_c5a4_64cdabdcad3e", "name": "sample_purchase_feedback",
                "language": ["policy": "deterministic", "code": "en_US"],
                "components": [
                    [
                        "type": "header",
                        "parameters": [["type": "image", "image": ["link": "https://example.com/h.png"]]],
                    ],
                    [
                        "type": "body",
                        "parameters": [
                            ["type": "text", "text": "Shoes"],
                            [
                                "type": "currency",
                                "currency": ["fallback_value": "$100.99", "code": "USD", "amount_1000": "100990"],
                            ],
                            ["type": "date_time", "date_time": ["fallback_value": "February 25, 1977"]],
                        ],
                    ],
                    [
                        "type": "button", "sub_type": "quick_reply", "index": "0",
                        "parameters": [["type": "payload", "payload": "yes"]],
                    ],
                    [
                        "type": "button", "sub_type": "url", "index": 1,
                        "parameters": [["type": "text", "text": "order/42"]],
                    ],
                ],
            ]
        ),
        ("template", ["namespace": "ns", "name": "hello", "language": ["code": "fil"]]),
        (
            "template",
            [
                "namespace": "ns", "name": "doc", "language": ["policy": "fallback", "code": "pt_BR"],
                "components": [
                    [
                        "type": "header",
                        "parameters": [["type": "document", "document": ["id": "m1", "filename": "a.pdf"]]],
                    ]
                ],
            ]
        ),
        (
            "interactive",
            [
                "type": "list",
                "header": ["type": "text", "text": "Your options"],
                "body": ["text": "Choose a delivery slot"],
                "footer": ["text": "Courier"],
                "action": [
                    "button": "Delivery slots",
                    "sections": [
                        [
                            "title": "Morning",
                            "rows": [
                                ["id": "m1", "title": "8–10", "description": "Early"], ["id": "m2", "title": "10–12"],
                            ],
                        ],
                        ["title": "Afternoon", "rows": [["id": "a1", "title": "14–16"]]],
                    ],
                ],
            ]
        ),
        (
            "interactive",
            [
                "type": "button",
                "header": ["type": "image", "image": ["link": "https://example.com/h.png"]],
                "body": ["text": "Confirm?"],
                "action": [
                    "buttons": [
                        ["type": "reply", "reply": ["id": "yes", "title": "Yes"]],
                        ["type": "reply", "reply": ["id": "no", "title": "No"]],
                        ["type": "reply", "reply": ["id": "later", "title": "Later"]],
                    ]
                ],
            ]
        ),
        (
            "interactive",
            ["type": "product", "action": ["catalog_id": "367025965434465", "product_retailer_id": "sku-1"]]
        ),
        (
            "interactive",
            [
                "type": "product_list",
                "header": ["type": "text", "text": "Menu"],
                "body": ["text": "Pick"],
                "action": [
                    "catalog_id": "367025965434465",
                    "sections": [
                        [
                            "title": "Drinks",
                            "product_items": [["product_retailer_id": "tea"], ["product_retailer_id": "coffee"]],
                        ],
                        ["title": "Food", "product_items": [["product_retailer_id": "cake"]]],
                    ],
                ],
            ]
        ),
        (
            "interactive",
            [
                "type": "list", "body": ["text": "One section needs no title"],
                "action": ["button": "Open", "sections": [["rows": [["id": "1", "title": "One"]]]]],
            ]
        ),
    ]

    @Test(arguments: validBodies)
    func validBodyIsAcceptedAndStoredAsGiven(type: String, content: JSONValue) throws {
        let send = try SendValidation.validate(Self.body(type, content)).get()
        #expect(send.type == type)
        #expect(try JSONParser.parse(send.content) == content)
    }

    @Test func templateParametersObjectIsStoredAsAnArray() throws {
        let component: JSONValue = ["type": "body", "parameters": ["type": "text", "text": "Ada"]]
        let template: JSONValue = [
            "namespace": "ns", "name": "hi", "language": ["code": "en"], "components": [component],
        ]
        let send = try SendValidation.validate(Self.body("template", template)).get()
        let stored = try JSONParser.parse(send.content)
        #expect(
            stored == [
                "namespace": "ns", "name": "hi", "language": ["code": "en"],
                "components": [
                    ["type": "body", "parameters": [["type": "text", "text": "Ada"]]]
                ],
            ]
        )
    }

    @Test func lengthsCountUnicodeScalars() throws {
        let caption = JSONValue.string(String(repeating: "😀", count: 1024))
        #expect((try? SendValidation.validate(Self.body("image", ["id": "m", "caption": caption])).get()) != nil)
        let parameter = JSONValue.string(String(repeating: "é", count: 1024))
        let template: JSONValue = [
            "namespace": "ns", "name": "t", "language": ["code": "en"],
            "components": [["type": "body", "parameters": [["type": "text", "text": parameter]]]],
        ]
        #expect((try? SendValidation.validate(Self.body("template", template)).get()) != nil)
    }

    // MARK: Error paths

    struct Invalid: Sendable, CustomTestStringConvertible {
        var type: String
        var content: JSONValue
        var code: Int
        /// The first problem's details start with this, naming the JSON path.
        var details: String
        var testDescription: String { "\(type) → \(code) \(details)" }

        init(_ type: String, _ content: JSONValue, _ code: Int, _ details: String) {
            self.type = type
            self.content = content
            self.code = code
            self.details = details
        }
    }

    static let long1025 = JSONValue.string(String(repeating: "a", count: 1025))

    static let invalidMedia: [Invalid] = [
        Invalid("image", "x", 1009, "image must be an object, not string"),
        Invalid("image", [:], 1008, "image.id or image.link is required"),
        Invalid(
            "image",
            ["id": "m", "link": "https://example.com/a.png"],
            1009,
            "image must have only one of id and link"
        ),
        Invalid("image", ["id": 5], 1009, "image.id must be a string"),
        Invalid("image", ["id": ""], 1009, "image.id must not be empty"),
        Invalid("video", ["link": "ftp://example.com/v.mp4"], 1009, "video.link must be an http or https URL"),
        Invalid("video", ["link": "https://"], 1009, "video.link must be an http or https URL"),
        Invalid("video", ["link": "https://exa mple.com/v.mp4"], 1009, "video.link must be an http or https URL"),
        Invalid("video", ["link": "https://example.com:port/v.mp4"], 1009, "video.link must be an http or https URL"),
        Invalid(
            "document",
            ["link": .string("https://example.com/" + String(repeating: "a", count: 2029))],
            1009,
            "document.link is longer than 2048 characters"
        ),
        Invalid("image", ["id": "m", "caption": long1025], 1009, "image.caption is longer than 1024"),
        Invalid("image", ["id": "m", "caption": 3], 1009, "image.caption must be a string"),
        Invalid("image", ["id": "m", "provider": "cdn"], 1009, "image.provider must be an object"),
        Invalid(
            "image",
            ["link": "https://example.com/a.png", "provider": [:]],
            1008,
            "image.provider.name is required"
        ),
        Invalid(
            "image",
            ["link": "https://example.com/a.png", "provider": ["name": 1]],
            1009,
            "image.provider.name must be a string"
        ),
        Invalid("document", ["id": "m", "filename": ["a"]], 1009, "document.filename must be a string"),
        Invalid("audio", ["id": "m", "caption": "no"], 1010, "audio.caption is not allowed with audio"),
        Invalid(
            "sticker",
            ["link": "https://example.com/s.webp", "caption": ""],
            1010,
            "sticker.caption is not allowed"
        ),
    ]

    static let invalidLocationAndContacts: [Invalid] = [
        Invalid("location", ["longitude": 1], 1008, "location.latitude is required"),
        Invalid("location", ["latitude": 1], 1008, "location.longitude is required"),
        Invalid(
            "location",
            ["latitude": .double(90.5), "longitude": 0],
            1009,
            "location.latitude must be between -90 and 90"
        ),
        Invalid(
            "location",
            ["latitude": 0, "longitude": "-180.01"],
            1009,
            "location.longitude must be between -180 and 180"
        ),
        Invalid("location", ["latitude": "north", "longitude": 0], 1009, "location.latitude must be a number"),
        Invalid("location", ["latitude": true, "longitude": 0], 1009, "location.latitude must be a number"),
        Invalid(
            "location",
            ["latitude": 0, "longitude": 0, "name": .string(String(repeating: "n", count: 1001))],
            1009,
            "location.name is longer than 1000"
        ),
        Invalid("location", ["latitude": 0, "longitude": 0, "address": 1], 1009, "location.address must be a string"),
        Invalid("contacts", ["name": ["formatted_name": "x"]], 1009, "contacts must be an array, not object"),
        Invalid("contacts", [], 1009, "contacts must have 1 to 100 contacts, not 0"),
        Invalid(
            "contacts",
            .array(Array(repeating: ["name": ["formatted_name": "x"]], count: 101)),
            1009,
            "contacts must have 1 to 100 contacts, not 101"
        ),
        Invalid("contacts", [[:]], 1008, "contacts[0].name is required"),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"]], ["name": ["first_name": "b"]]],
            1008,
            "contacts[1].name.formatted_name is required"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": ""]]],
            1009,
            "contacts[0].name.formatted_name must not be empty"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"], "birthday": "1990-13-01"]],
            1009,
            "contacts[0].birthday must be a date as YYYY-MM-DD"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"], "birthday": "2023-02-29"]],
            1009,
            "contacts[0].birthday"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"], "birthday": "12/05/1990"]],
            1009,
            "contacts[0].birthday"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"], "phones": ["phone": "1"]]],
            1009,
            "contacts[0].phones must be an array"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"], "emails": [["email": 7]]]],
            1009,
            "contacts[0].emails[0].email must be a string"
        ),
        Invalid(
            "contacts",
            [["name": ["formatted_name": "a"], "org": ["company": false]]],
            1009,
            "contacts[0].org.company must be a string"
        ),
    ]

    static func template(_ members: [(String, JSONValue)] = [], components: JSONValue? = nil) -> JSONValue {
        var object: JSONObject = [
            "namespace": "ns", "name": "t", "language": ["policy": "deterministic", "code": "en"],
        ]
        for (key, value) in members { object[key] = value }
        if let components { object["components"] = components }
        return .object(object)
    }

    static func parameter(_ parameter: JSONValue) -> JSONValue {
        [["type": "body", "parameters": [parameter]]]
    }

    static let invalidTemplates: [Invalid] = [
        Invalid(
            "template",
            template([("namespace", .null)]),
            2014,
            "template.namespace is required and must not be empty"
        ),
        Invalid("template", ["name": "t", "language": ["code": "en"]], 2014, "template.namespace"),
        Invalid("template", template([("namespace", "")]), 2014, "template.namespace"),
        Invalid("template", template([("namespace", 4)]), 1009, "template.namespace must be a string"),
        Invalid("template", ["namespace": "ns", "language": ["code": "en"]], 1008, "template.name is required"),
        Invalid("template", ["namespace": "ns", "name": "t"], 1008, "template.language is required"),
        Invalid(
            "template",
            template([("language", ["policy": "deterministic"])]),
            1008,
            "template.language.code is required"
        ),
        Invalid(
            "template",
            template([("language", ["policy": "loose", "code": "en"])]),
            1009,
            "template.language.policy must be one of deterministic, fallback"
        ),
        Invalid(
            "template",
            template([("language", ["code": "en-US"])]),
            1009,
            "template.language.code must be a language code"
        ),
        Invalid("template", template([("language", ["code": "english"])]), 1009, "template.language.code"),
        Invalid("template", template(components: ["type": "body"]), 1009, "template.components must be an array"),
        Invalid(
            "template",
            template(components: [["parameters": []]]),
            1008,
            "template.components[0].type is required"
        ),
        Invalid(
            "template",
            template(components: [["type": "footer"]]),
            1009,
            "template.components[0].type must be one of header, body, button"
        ),
        Invalid(
            "template",
            template(components: [["type": "button", "index": 0]]),
            1008,
            "template.components[0].sub_type is required"
        ),
        Invalid(
            "template",
            template(components: [["type": "button", "sub_type": "call", "index": 0]]),
            1009,
            "template.components[0].sub_type must be one of quick_reply, url"
        ),
        Invalid(
            "template",
            template(components: [["type": "button", "sub_type": "url"]]),
            1008,
            "template.components[0].index is required"
        ),
        Invalid(
            "template",
            template(components: [["type": "button", "sub_type": "url", "index": "10"]]),
            1009,
            "template.components[0].index must be between 0 and 9"
        ),
        Invalid(
            "template",
            template(components: [["type": "button", "sub_type": "url", "index": "first"]]),
            1009,
            "template.components[0].index must be an integer"
        ),
        Invalid(
            "template",
            template(components: [["type": "body", "parameters": "x"]]),
            1009,
            "template.components[0].parameters must be an array"
        ),
        Invalid(
            "template",
            template(components: parameter(["text": "x"])),
            1008,
            "template.components[0].parameters[0].type is required"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "location"])),
            1009,
            "template.components[0].parameters[0].type must be one of text, currency"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "text", "text": long1025])),
            2004,
            "template.components[0].parameters[0].text is longer than 1024 characters"
        ),
        Invalid(
            "template",
            template(components: [["type": "body", "parameters": ["type": "text", "text": long1025]]]),
            2004,
            "template.components[0].parameters[0].text"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "text"])),
            1008,
            "template.components[0].parameters[0].text is required"
        ),
        Invalid(
            "template",
            template(
                components: parameter([
                    "type": "currency", "currency": ["fallback_value": "$1", "code": "usd", "amount_1000": 1000],
                ])
            ),
            1009,
            "template.components[0].parameters[0].currency.code must be an ISO 4217"
        ),
        Invalid(
            "template",
            template(
                components: parameter(["type": "currency", "currency": ["fallback_value": "$1", "code": "USD"]])
            ),
            1008,
            "template.components[0].parameters[0].currency.amount_1000 is required"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "date_time", "date_time": [:]])),
            1008,
            "template.components[0].parameters[0].date_time.fallback_value is required"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "image"])),
            1008,
            "template.components[0].parameters[0].image is required"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "video", "video": ["link": "rtsp://x/v"]])),
            1009,
            "template.components[0].parameters[0].video.link must be an http or https URL"
        ),
        Invalid(
            "template",
            template(components: parameter(["type": "payload", "payload": 3])),
            1009,
            "template.components[0].parameters[0].payload must be a string"
        ),
    ]

    static func list(sections: JSONValue, button: JSONValue = "Open") -> JSONValue {
        ["type": "list", "body": ["text": "Pick"], "action": ["button": button, "sections": sections]]
    }

    static func rows(_ count: Int, prefix: String = "r") -> JSONValue {
        .array((0..<count).map { ["id": .string("\(prefix)\($0)"), "title": "Row"] })
    }

    static func productList(sections: JSONValue, header: JSONValue? = ["type": "text", "text": "Menu"]) -> JSONValue {
        var object: JSONObject = [
            "type": "product_list", "body": ["text": "Pick"], "action": ["catalog_id": "1", "sections": sections],
        ]
        if let header { object["header"] = header }
        return .object(object)
    }

    static func products(_ count: Int) -> JSONValue {
        .array((0..<count).map { ["product_retailer_id": .string("p\($0)")] })
    }

    static func buttons(_ buttons: [JSONValue]) -> JSONValue {
        ["type": "button", "body": ["text": "Pick"], "action": ["buttons": .array(buttons)]]
    }

    static func reply(_ id: JSONValue, _ title: JSONValue = "OK") -> JSONValue {
        ["type": "reply", "reply": ["id": id, "title": title]]
    }

    static let invalidInteractive: [Invalid] = [
        Invalid("interactive", ["body": ["text": "x"], "action": [:]], 1008, "interactive.type is required"),
        Invalid(
            "interactive",
            ["type": "carousel", "body": ["text": "x"], "action": [:]],
            1009,
            "interactive.type must be one of button, list, product, product_list"
        ),
        Invalid(
            "interactive",
            ["type": "button", "action": ["buttons": [reply("a")]]],
            1008,
            "interactive.body is required"
        ),
        Invalid(
            "interactive",
            ["type": "button", "body": ["text": ""], "action": ["buttons": [reply("a")]]],
            1009,
            "interactive.body.text must not be empty"
        ),
        Invalid(
            "interactive",
            ["type": "button", "body": ["text": long1025], "action": ["buttons": [reply("a")]]],
            1009,
            "interactive.body.text is longer than 1024 characters"
        ),
        Invalid("interactive", ["type": "button", "body": ["text": "x"]], 1008, "interactive.action is required"),
        Invalid(
            "interactive",
            [
                "type": "button", "body": ["text": "x"], "footer": ["text": .string(String(repeating: "f", count: 61))],
                "action": ["buttons": [reply("a")]],
            ],
            1009,
            "interactive.footer.text is longer than 60 characters"
        ),
        Invalid(
            "interactive",
            [
                "type": "button", "body": ["text": "x"], "header": ["type": "sticker"],
                "action": ["buttons": [reply("a")]],
            ],
            1009,
            "interactive.header.type must be one of text, image, video, document"
        ),
        Invalid(
            "interactive",
            [
                "type": "button", "body": ["text": "x"],
                "header": ["type": "text", "text": .string(String(repeating: "h", count: 61))],
                "action": ["buttons": [reply("a")]],
            ],
            1009,
            "interactive.header.text is longer than 60 characters"
        ),
        Invalid(
            "interactive",
            [
                "type": "button", "body": ["text": "x"], "header": ["type": "video", "video": [:]],
                "action": ["buttons": [reply("a")]],
            ],
            1008,
            "interactive.header.video.id or interactive.header.video.link is required"
        ),
        Invalid("interactive", buttons([]), 1009, "interactive.action.buttons must have 1 to 3 buttons, not 0"),
        Invalid(
            "interactive",
            buttons([reply("a"), reply("b"), reply("c"), reply("d")]),
            1009,
            "interactive.action.buttons must have 1 to 3 buttons, not 4"
        ),
        Invalid(
            "interactive",
            buttons([["type": "url", "reply": ["id": "a", "title": "A"]]]),
            1009,
            "interactive.action.buttons[0].type must be reply"
        ),
        Invalid(
            "interactive",
            buttons([reply("a"), reply("a")]),
            1009,
            "interactive.action.buttons[1].reply.id repeats"
        ),
        Invalid(
            "interactive",
            buttons([reply(.string(String(repeating: "i", count: 257)))]),
            1009,
            "interactive.action.buttons[0].reply.id is longer than 256 characters"
        ),
        Invalid(
            "interactive",
            buttons([reply("a", .string(String(repeating: "t", count: 21)))]),
            1009,
            "interactive.action.buttons[0].reply.title is longer than 20 characters"
        ),
        Invalid(
            "interactive",
            buttons([reply("a", "")]),
            1009,
            "interactive.action.buttons[0].reply.title must not be empty"
        ),
        Invalid("interactive", buttons([["type": "reply"]]), 1008, "interactive.action.buttons[0].reply is required"),
        Invalid(
            "interactive",
            list(sections: [["rows": rows(1)]], button: .string(String(repeating: "b", count: 21))),
            1009,
            "interactive.action.button is longer than 20 characters"
        ),
        Invalid(
            "interactive",
            list(sections: []),
            2015,
            "interactive.action.sections must have 1 to 10 sections, not 0"
        ),
        Invalid(
            "interactive",
            list(sections: .array(Array(repeating: ["title": "S", "rows": rows(1)], count: 11))),
            2015,
            "interactive.action.sections must have 1 to 10 sections, not 11"
        ),
        Invalid(
            "interactive",
            list(sections: ["title": "S", "rows": rows(1)]),
            1009,
            "interactive.action.sections must be an array"
        ),
        Invalid(
            "interactive",
            list(sections: [["title": "A", "rows": rows(1)], ["title": "B", "rows": []]]),
            2016,
            "interactive.action.sections[1].rows must not be empty"
        ),
        Invalid(
            "interactive",
            list(sections: [["title": "A", "rows": rows(6)], ["title": "B", "rows": rows(5, prefix: "s")]]),
            2016,
            "interactive.action.sections must have at most 10 rows in total, not 11"
        ),
        Invalid(
            "interactive",
            list(sections: [["rows": rows(1)], ["title": "B", "rows": rows(1, prefix: "s")]]),
            1008,
            "interactive.action.sections[0].title is required"
        ),
        Invalid(
            "interactive",
            list(sections: [["title": .string(String(repeating: "t", count: 25)), "rows": rows(1)]]),
            1009,
            "interactive.action.sections[0].title is longer than 24 characters"
        ),
        Invalid(
            "interactive",
            list(sections: [["title": "A", "rows": rows(1)], ["title": "B", "rows": rows(1)]]),
            1009,
            "interactive.action.sections[1].rows[0].id repeats"
        ),
        Invalid(
            "interactive",
            list(sections: [["rows": [["id": "1"]]]]),
            1008,
            "interactive.action.sections[0].rows[0].title is required"
        ),
        Invalid(
            "interactive",
            list(sections: [["rows": [["id": .string(String(repeating: "i", count: 201)), "title": "T"]]]]),
            1009,
            "interactive.action.sections[0].rows[0].id is longer than 200 characters"
        ),
        Invalid(
            "interactive",
            list(sections: [
                ["rows": [["id": "1", "title": "T", "description": .string(String(repeating: "d", count: 73))]]]
            ]),
            1009,
            "interactive.action.sections[0].rows[0].description is longer than 72 characters"
        ),
        Invalid(
            "interactive",
            ["type": "product", "action": ["product_retailer_id": "p"]],
            1008,
            "interactive.action.catalog_id is required"
        ),
        Invalid(
            "interactive",
            ["type": "product", "action": ["catalog_id": "c"]],
            1008,
            "interactive.action.product_retailer_id is required"
        ),
        Invalid(
            "interactive",
            productList(sections: [["product_items": products(1)]], header: nil),
            1008,
            "interactive.header is required"
        ),
        Invalid(
            "interactive",
            productList(sections: [["product_items": products(1)]], header: ["type": "image", "image": imageLink]),
            1009,
            "interactive.header.type must be text"
        ),
        Invalid(
            "interactive",
            productList(sections: []),
            2015,
            "interactive.action.sections must have 1 to 10 sections"
        ),
        Invalid(
            "interactive",
            productList(sections: [["title": "A", "product_items": []]]),
            2023,
            "interactive.action.sections[0].product_items must not be empty"
        ),
        Invalid(
            "interactive",
            productList(sections: [
                ["title": "A", "product_items": products(20)], ["title": "B", "product_items": products(11)],
            ]),
            2023,
            "interactive.action.sections must have at most 30 products in total, not 31"
        ),
        Invalid(
            "interactive",
            productList(sections: [["title": "A", "product_items": [[:]]]]),
            1008,
            "interactive.action.sections[0].product_items[0].product_retailer_id is required"
        ),
        Invalid(
            "interactive",
            productList(sections: [["title": "A"]]),
            1008,
            "interactive.action.sections[0].product_items is required"
        ),
    ]

    @Test(arguments: invalidMedia + invalidLocationAndContacts + invalidTemplates + invalidInteractive)
    func invalidTypeObjectNamesTheProblem(invalid: Invalid) {
        switch SendValidation.validate(Self.body(invalid.type, invalid.content)) {
        case .success: Issue.record("accepted \(invalid.content)")
        case .failure(let failure):
            let first = failure.problems.first
            #expect(first?.code == invalid.code, "\(failure.problems)")
            #expect(first?.details.hasPrefix(invalid.details) == true, "\(failure.problems)")
        }
    }

    @Test func onePassReportsUpToTenProblems() throws {
        let rows: JSONValue = .array((0..<10).map { _ in ["id": 1, "title": 2] })
        let result = SendValidation.validate(Self.body("interactive", Self.list(sections: [["rows": rows]])))
        guard case .failure(let failure) = result else { throw Failure("accepted") }
        #expect(failure.problems.count == 10)
        #expect(
            failure.problems[0]
                == APIProblem(
                    code: 1009,
                    details: "interactive.action.sections[0].rows[0].id must be a string, not number"
                )
        )
        #expect(
            failure.problems[1].details == "interactive.action.sections[0].rows[0].title must be a string, not number"
        )
    }

    @Test func commonAndTypeProblemsAreReportedTogether() throws {
        let body: JSONValue = ["to": "12", "type": "location", "location": ["latitude": 100, "longitude": 0]]
        guard case .failure(let failure) = SendValidation.validate(body) else { throw Failure("accepted") }
        #expect(failure.problems.map(\.code) == [1013, 1009])
    }

    /// Any JSON in any member position is refused or accepted, never a crash.
    @Test(arguments: ["image", "audio", "location", "contacts", "template", "interactive"])
    func oddShapesAreRefusedWithoutCrashing(type: String) {
        let shapes: [JSONValue] = [.null, true, 1, .double(1.5), "s", [], [:], [[]], [["x": [:]]], ["type": []]]
        for shape in shapes {
            for key in [
                "id", "link", "latitude", "name", "namespace", "language", "components", "type", "action", "header",
                "body",
            ] {
                _ = SendValidation.validate(Self.body(type, .object(JSONObject([(key: key, value: shape)]))))
            }
            _ = SendValidation.validate(Self.body(type, shape))
            _ = SendValidation.validate(Self.body(type, [shape]))
        }
        let deep: JSONValue = [
            "type": "list", "action": ["sections": [["rows": [[.null], ["id": [:], "title": []]]], 7, "x"]],
            "header": ["type": "image", "image": ["link": "https://[::1"]],
        ]
        _ = SendValidation.validate(Self.body(type, deep))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
