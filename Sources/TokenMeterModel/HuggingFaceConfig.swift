import Foundation
import TokenMeterCore

/// Reads a model's shapes from a Hugging Face `config.json` (Llama, Qwen, DeepSeek/Kimi MLA, gpt-oss and similar).
public enum HuggingFaceConfig {
    /// Parses config JSON; a missing required field is an error naming it.
    public static func architecture(json: JSONValue, id: String, name: String? = nil, aliases: [String] = [], source: String)
        throws(ConfigError) -> ModelArchitecture
    {
        // Some configs nest the language model (multimodal wrappers).
        let c = json["text_config"] ?? json
        func int(_ keys: String...) -> Int? {
            for key in keys { if let v = c[key]?.intValue { return v } }
            return nil
        }
        func required(_ keys: String...) throws(ConfigError) -> Int {
            for key in keys { if let v = c[key]?.intValue { return v } }
            throw ConfigError(field: keys[0], message: "\(source) has no \(keys.joined(separator: " or "))")
        }
        // Shapes are checked before anything loops or divides over them: a config is user input.
        func bounded(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard range.contains(value) else {
                throw ConfigError(field: name, message: "\(source): \(name) is \(value), outside \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
        let layers = try bounded(try required("num_hidden_layers", "n_layer", "num_layers"), "num_hidden_layers", 1...1000)
        let hidden = try bounded(try required("hidden_size", "n_embd", "d_model"), "hidden_size", 1...1_000_000)
        let heads = try bounded(try required("num_attention_heads", "n_head"), "num_attention_heads", 1...100_000)
        let kvHeads = try bounded(int("num_key_value_heads") ?? heads, "num_key_value_heads", 1...heads)
        let vocabulary = try bounded(try required("vocab_size"), "vocab_size", 1...100_000_000)
        for key in ["head_dim", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "sliding_window",
                    "intermediate_size", "moe_intermediate_size", "n_shared_experts", "first_k_dense_replace", "index_topk", "index_n_heads",
                    "index_head_dim", "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim",
                    "shared_expert_intermediate_size"] {
            if let v = int(key) { _ = try bounded(v, key, 0...10_000_000) }
        }
        if let v = int("full_attention_interval") { _ = try bounded(v, "full_attention_interval", 1...layers) }
        let kvLora = int("kv_lora_rank") ?? 0
        let kind: AttentionKind = kvLora > 0 ? .mla : .gqa
        var sliding: [Bool] = []
        if case let .array(types)? = c["layer_types"] {
            sliding = types.prefix(layers).map { $0.stringValue == "sliding_attention" }
        } else if case let .array(pattern)? = c["layer_types_pattern"], !pattern.isEmpty {
            sliding = (0..<layers).map { pattern[$0 % pattern.count].stringValue == "sliding_attention" }
        }
        let window = int("sliding_window")
        if window == nil { sliding = [] }
        var attention = AttentionShape(
            kind: kind, heads: heads, kvHeads: kvHeads, headDim: int("head_dim") ?? hidden / heads,
            qLoraRank: int("q_lora_rank") ?? 0, kvLoraRank: kvLora, ropeHeadDim: int("qk_rope_head_dim") ?? 0,
            nopeHeadDim: int("qk_nope_head_dim") ?? 0, valueHeadDim: int("v_head_dim") ?? 0,
            slidingWindow: window, slidingLayers: sliding)
        attention.outputGate = c["attn_output_gate"]?.boolValue ?? false
        if let topK = int("index_topk") {
            attention.sparseTopK = topK
            attention.indexerHeads = try required("index_n_heads")
            attention.indexerHeadDim = try required("index_head_dim")
        }
        // Hybrid models: linear-attention layers named in layer_types, or every layer but each full_attention_interval-th.
        var linear: LinearAttentionShape?
        if let valueHeads = int("linear_num_value_heads") {
            var pattern: [Bool] = []
            if case let .array(types)? = c["layer_types"] {
                pattern = types.prefix(layers).map { $0.stringValue == "linear_attention" }
            } else {
                let interval = int("full_attention_interval") ?? 4
                pattern = (0..<layers).map { ($0 + 1) % interval != 0 }
            }
            linear = LinearAttentionShape(keyHeads: try required("linear_num_key_heads"), valueHeads: valueHeads,
                                          keyHeadDim: try required("linear_key_head_dim"), valueHeadDim: try required("linear_value_head_dim"),
                                          layers: pattern)
        }
        var moe: MoEShape?
        if let experts = int("n_routed_experts", "num_experts", "num_local_experts"), experts > 1 {
            _ = try bounded(experts, "num_experts", 2...1_000_000)
            let topK = try bounded(try required("num_experts_per_tok", "experts_per_token", "moe_topk"), "num_experts_per_tok", 1...experts)
            let expertIntermediate = try bounded(try required("moe_intermediate_size", "intermediate_size"), "moe_intermediate_size", 1...10_000_000)
            // Qwen names one shared expert by its width; count it in expert-sized units.
            let shared = int("n_shared_experts")
                ?? int("shared_expert_intermediate_size").map { max(1, Int((Double($0) / Double(expertIntermediate)).rounded())) } ?? 0
            moe = MoEShape(routedExperts: experts, sharedExperts: shared, topK: topK, expertIntermediate: expertIntermediate,
                           firstDenseLayers: try bounded(int("first_k_dense_replace") ?? 0, "first_k_dense_replace", 0...layers))
        }
        let dense = int("intermediate_size") ?? 0
        if moe == nil || (moe?.firstDenseLayers ?? 0) > 0, dense == 0 {
            throw ConfigError(field: "intermediate_size", message: "\(source) has dense FFN layers but no intermediate_size")
        }
        return ModelArchitecture(
            id: id, name: name ?? id, aliases: aliases, source: source, layers: layers, hidden: hidden, vocabulary: vocabulary,
            tiedEmbeddings: c["tie_word_embeddings"]?.boolValue ?? false, attention: attention, denseIntermediate: dense, moe: moe,
            linearAttention: linear)
    }

    /// Reads a `config.json` file.
    public static func architecture(path: String) throws(ConfigError) -> ModelArchitecture {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "model", message: "cannot read '\(path)'")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(Array(data)) } catch {
            throw ConfigError(field: "model", message: "'\(path)' is not JSON: \(error)")
        }
        let id = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        return try architecture(json: json, id: id.isEmpty ? path : id, source: path)
    }
}

/// The built-in models: Hugging Face config fields with a source each, read by the same parser as a user's file.
public struct ModelCatalog: Sendable {
    /// Every built-in model.
    public let models: [ModelArchitecture]
    /// Published total and active parameter counts (billions) by id, for checks, and how coarsely the active count was
    /// rounded by its publisher ("A17B", "10B active": to the nearest 1B).
    public let published: [String: (total: Double?, active: Double?, activeRounding: Double)]

    /// Loads the built-in catalog resource.
    public static func load() throws(ConfigError) -> ModelCatalog {
        guard let url = Bundle.module.url(forResource: "models", withExtension: "json"), let data = try? Data(contentsOf: url),
              let json = try? JSONValue.parse(Array(data)), case let .array(entries)? = json["models"]
        else { throw ConfigError(field: "catalog", message: "the built-in model catalog is missing or unreadable; reinstall tokenmeter") }
        var models: [ModelArchitecture] = []
        var published: [String: (Double?, Double?, Double)] = [:]
        for entry in entries {
            guard let id = entry["id"]?.stringValue, let config = entry["config"] else {
                throw ConfigError(field: "catalog", message: "a built-in model entry lacks id or config")
            }
            let aliases: [String] = { if case let .array(a)? = entry["aliases"] { a.compactMap(\.stringValue) } else { [] } }()
            models.append(try HuggingFaceConfig.architecture(json: config, id: id, name: entry["name"]?.stringValue, aliases: aliases,
                                                             source: entry["source"]?.stringValue ?? "built-in"))
            published[id] = (entry["published"]?["total_params_b"]?.doubleValue, entry["published"]?["active_params_b"]?.doubleValue,
                             entry["published"]?["active_rounding_b"]?.doubleValue ?? 0)
        }
        return ModelCatalog(models: models, published: published)
    }

    /// The model with this id or alias (case-insensitive), or an error listing the known ones.
    public func model(_ name: String) throws(ConfigError) -> ModelArchitecture {
        let key = name.lowercased()
        if let m = models.first(where: { $0.id == key || $0.aliases.contains { $0.lowercased() == key } }) { return m }
        throw ConfigError(field: "model", message: "unknown model '\(name)'; known: \(models.map(\.id).joined(separator: ", ")), or pass a config.json path")
    }
}
