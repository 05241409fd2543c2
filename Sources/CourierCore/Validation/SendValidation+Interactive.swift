extension SendValidation {
    static let interactiveTypes = ["button", "list", "product", "product_list"]
    static let interactiveHeaderTypes = ["text", "image", "video", "document"]
}

extension SendValidation.Checker {
    /// `{type, header?, body, footer?, action}` (api.md §6.1). The parts around `action` are checked
    /// even when `type` is wrong, so one pass reports as much as it can.
    mutating func interactive(_ value: JSONValue?, at path: String) {
        guard let interactive = object(value, at: path) else { return }
        let type = oneOf(interactive["type"], at: "\(path).type", in: SendValidation.interactiveTypes)
        interactiveHeader(interactive["header"], at: "\(path).header", type: type)
        if let body = object(interactive["body"], at: "\(path).body", required: type != "product") {
            _ = string(body["text"], at: "\(path).body.text", length: 1...1024)
        }
        if let footer = object(interactive["footer"], at: "\(path).footer", required: false) {
            _ = string(footer["text"], at: "\(path).footer.text", length: 1...60)
        }
        guard let action = object(interactive["action"], at: "\(path).action") else { return }
        switch type {
        case "button": replyButtons(action, at: "\(path).action")
        case "list": listAction(action, at: "\(path).action")
        case "product":
            _ = string(action["catalog_id"], at: "\(path).action.catalog_id")
            _ = string(action["product_retailer_id"], at: "\(path).action.product_retailer_id")
        case "product_list": productListAction(action, at: "\(path).action")
        default: break  // `type` itself was reported.
        }
    }

    /// Optional except for `product_list`, whose header must be text.
    private mutating func interactiveHeader(_ value: JSONValue?, at path: String, type: String?) {
        let isProductList = type == "product_list"
        guard let header = object(value, at: path, required: isProductList) else { return }
        let allowed = isProductList ? ["text"] : SendValidation.interactiveHeaderTypes
        switch oneOf(header["type"], at: "\(path).type", in: allowed) {
        case nil: break
        case "text"?: _ = string(header["text"], at: "\(path).text", length: 1...60)
        case let media?: self.media(header[media], kind: media, at: "\(path).\(media)")
        }
    }

    /// `buttons`: 1–3 of `{"type": "reply", "reply": {id, title}}`, ids unique.
    private mutating func replyButtons(_ action: JSONObject, at path: String) {
        guard let buttons = array(action["buttons"], at: "\(path).buttons") else { return }
        if !(1...3).contains(buttons.count) {
            report(1009, "\(path).buttons must have 1 to 3 buttons, not \(buttons.count)")
        }
        var ids: Set<String> = []
        for (index, value) in buttons.prefix(3).enumerated() {
            let buttonPath = "\(path).buttons[\(index)]"
            guard let button = object(value, at: buttonPath) else { continue }
            _ = oneOf(button["type"], at: "\(buttonPath).type", in: ["reply"])
            guard let reply = object(button["reply"], at: "\(buttonPath).reply") else { continue }
            if let id = string(reply["id"], at: "\(buttonPath).reply.id", length: 1...256), !ids.insert(id).inserted {
                report(1009, "\(buttonPath).reply.id repeats the id of an earlier button")
            }
            _ = string(reply["title"], at: "\(buttonPath).reply.title", length: 1...20)
        }
    }

    /// `button` and 1–10 `sections` (2015) holding 1–10 rows in total (2016).
    private mutating func listAction(_ action: JSONObject, at path: String) {
        _ = string(action["button"], at: "\(path).button", length: 1...20)
        guard let sections = sections(action["sections"], at: "\(path).sections") else { return }
        var rowCount = 0
        var ids: Set<String> = []
        for (index, value) in sections.enumerated() {
            let sectionPath = "\(path).sections[\(index)]"
            guard let section = section(value, at: sectionPath, among: sections.count),
                let rows = items(section["rows"], at: "\(sectionPath).rows", code: 2016)
            else { continue }
            rowCount += rows.count
            for (rowIndex, row) in rows.prefix(10).enumerated() {
                self.row(row, at: "\(sectionPath).rows[\(rowIndex)]", ids: &ids)
            }
        }
        if rowCount > 10 { report(2016, "\(path).sections must have at most 10 rows in total, not \(rowCount)") }
    }

    /// `{id, title, description?}`; row ids are unique across all sections.
    private mutating func row(_ value: JSONValue, at path: String, ids: inout Set<String>) {
        guard let row = object(value, at: path) else { return }
        if let id = string(row["id"], at: "\(path).id", length: 1...200), !ids.insert(id).inserted {
            report(1009, "\(path).id repeats the id of an earlier row")
        }
        _ = string(row["title"], at: "\(path).title", length: 1...24)
        _ = string(row["description"], at: "\(path).description", required: false, length: 0...72)
    }

    /// `catalog_id` and 1–10 `sections` (2015) of `product_items`, 1–30 in total (2023).
    private mutating func productListAction(_ action: JSONObject, at path: String) {
        _ = string(action["catalog_id"], at: "\(path).catalog_id")
        guard let sections = sections(action["sections"], at: "\(path).sections") else { return }
        var itemCount = 0
        for (index, value) in sections.enumerated() {
            let sectionPath = "\(path).sections[\(index)]"
            guard let section = section(value, at: sectionPath, among: sections.count),
                let items = items(section["product_items"], at: "\(sectionPath).product_items", code: 2023)
            else { continue }
            itemCount += items.count
            for (itemIndex, value) in items.prefix(30).enumerated() {
                let itemPath = "\(sectionPath).product_items[\(itemIndex)]"
                if let item = object(value, at: itemPath) {
                    _ = string(item["product_retailer_id"], at: "\(itemPath).product_retailer_id")
                }
            }
        }
        if itemCount > 30 { report(2023, "\(path).sections must have at most 30 products in total, not \(itemCount)") }
    }

    /// The sections array; a count outside 1–10 is 2015 but the sections are still checked.
    private mutating func sections(_ value: JSONValue?, at path: String) -> [JSONValue]? {
        guard let sections = array(value, at: path) else { return nil }
        if !(1...10).contains(sections.count) {
            report(2015, "\(path) must have 1 to 10 sections, not \(sections.count)")
        }
        return Array(sections.prefix(10))
    }

    /// A section object; its `title` (≤ 24) is required once there is more than one section.
    private mutating func section(_ value: JSONValue, at path: String, among count: Int) -> JSONObject? {
        guard let section = object(value, at: path) else { return nil }
        let titleRequired = count > 1
        _ = string(section["title"], at: "\(path).title", required: titleRequired, length: (titleRequired ? 1 : 0)...24)
        return section
    }

    /// A section's rows or products: an empty one is reported with the count's `code` (2016, 2023),
    /// since WhatsApp renders no empty section, though the spec only bounds the total.
    private mutating func items(_ value: JSONValue?, at path: String, code: Int) -> [JSONValue]? {
        guard let items = array(value, at: path) else { return nil }
        if items.isEmpty { report(code, "\(path) must not be empty") }
        return items
    }
}
