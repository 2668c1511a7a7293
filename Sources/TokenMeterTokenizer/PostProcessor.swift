import TokenMeterCore

/// What `add_special_tokens` adds around an encoding.
indirect enum PostProcessor: Sendable {
    enum Item: Sendable {
        case special([Int])
        case sequence
    }

    case template([Item])
    case sequence([PostProcessor])
    case none

    init(json: JSONValue?) throws {
        guard let json, !json.isNull else {
            self = .none
            return
        }
        let type = json["type"]?.stringValue ?? ""
        func pair(_ name: String) throws -> Int {
            guard let id = json[name]?[1]?.intValue else {
                throw ConfigError(field: "tokenizer.post_processor", message: "\(type) without its \(name) token")
            }
            return id
        }
        switch type {
        case "TemplateProcessing":
            guard case let .array(items)? = json["single"] else {
                throw ConfigError(field: "tokenizer.post_processor", message: "TemplateProcessing without a single template")
            }
            self = .template(try items.map { item in
                if let name = item["SpecialToken"]?["id"]?.stringValue {
                    guard case let .array(ids)? = json["special_tokens"]?[name]?["ids"] else {
                        throw ConfigError(field: "tokenizer.post_processor", message: "template token '\(name)' has no ids")
                    }
                    return .special(ids.compactMap(\.intValue))
                }
                return .sequence
            })
        case "BertProcessing", "RobertaProcessing":
            self = .template([.special([try pair("cls")]), .sequence, .special([try pair("sep")])])
        case "ByteLevel": self = .none
        case "Sequence":
            guard case let .array(items)? = json["processors"] else {
                throw ConfigError(field: "tokenizer.post_processor", message: "Sequence without processors")
            }
            self = .sequence(try items.map(PostProcessor.init(json:)))
        default:
            throw ConfigError(field: "tokenizer.post_processor", message: "post-processor '\(type)' is not supported")
        }
    }

    func apply(_ ids: [Int]) -> [Int] {
        switch self {
        case .none: return ids
        case let .sequence(items): return items.reduce(ids) { $1.apply($0) }
        case let .template(items):
            return items.flatMap { item -> [Int] in
                switch item {
                case let .special(s): s
                case .sequence: ids
                }
            }
        }
    }
}
