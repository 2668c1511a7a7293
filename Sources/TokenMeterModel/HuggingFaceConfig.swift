import Foundation
import TokenMeterCore

/// Reads a model's shapes from a Hugging Face `config.json` (Llama, Qwen, DeepSeek/Kimi MLA, gpt-oss and similar).
public enum HuggingFaceConfig {
    /// Parses config JSON; a missing required field is an error naming it.
    public static func architecture(json: JSONValue, id: String, name: String? = nil, aliases: [String] = [], source: String)
        throws(ConfigError) -> ModelArchitecture
    {
        // Some configs nest the language model (multimodal wrappers).
        let c = ConfigFields(json: json["text_config"] ?? json, source: source)
        let layers = try c.bounded(try c.required("num_hidden_layers", "n_layer", "num_layers"), "num_hidden_layers", 1...1000)
        let hidden = try c.bounded(try c.required("hidden_size", "n_embd", "d_model"), "hidden_size", 1...1_000_000)
        let heads = try c.bounded(try c.required("num_attention_heads", "n_head"), "num_attention_heads", 1...100_000)
        let vocabulary = try c.bounded(try c.required("vocab_size"), "vocab_size", 1...100_000_000)
        for key in ["head_dim", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "sliding_window",
                    "intermediate_size", "moe_intermediate_size", "n_shared_experts", "first_k_dense_replace", "index_topk", "index_n_heads",
                    "index_head_dim", "linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim",
                    "shared_expert_intermediate_size"] {
            if let v = c.int(key) { _ = try c.bounded(v, key, 0...10_000_000) }
        }
        if let v = c.int("full_attention_interval") { _ = try c.bounded(v, "full_attention_interval", 1...layers) }
        let moe = try self.moe(c, layers: layers)
        let dense = c.int("intermediate_size") ?? 0
        if moe == nil || (moe?.firstDenseLayers ?? 0) > 0, dense == 0 {
            throw ConfigError(field: "intermediate_size", message: "\(source) has dense FFN layers but no intermediate_size")
        }
        var architecture = ModelArchitecture(
            id: id, name: name ?? id, aliases: aliases, source: source, layers: layers, hidden: hidden, vocabulary: vocabulary,
            tiedEmbeddings: c.json["tie_word_embeddings"]?.boolValue ?? false,
            attention: try attention(c, layers: layers, hidden: hidden, heads: heads), denseIntermediate: dense, moe: moe,
            linearAttention: try linearAttention(c, layers: layers))
        // A quantised checkpoint that leaves its attention unconverted quantises only the experts.
        let quantisation = json["quantization_config"] ?? c.json["quantization_config"]
        if moe != nil, case let .array(kept)? = quantisation?["modules_to_not_convert"] ?? quantisation?["ignore"] {
            architecture.expertsOnlyQuantised = kept.contains { ($0.stringValue ?? "").contains("self_attn") }
        }
        return architecture
    }

    /// The attention layers: GQA or MLA (a `kv_lora_rank`), sliding-window layers, a sparse indexer.
    static func attention(_ c: ConfigFields, layers: Int, hidden: Int, heads: Int) throws(ConfigError) -> AttentionShape {
        let kvHeads = try c.bounded(c.int("num_key_value_heads") ?? heads, "num_key_value_heads", 1...heads)
        let kvLora = c.int("kv_lora_rank") ?? 0
        var sliding: [Bool] = []
        if case let .array(types)? = c.json["layer_types"] {
            sliding = types.prefix(layers).map { $0.stringValue == "sliding_attention" }
        } else if case let .array(pattern)? = c.json["layer_types_pattern"], !pattern.isEmpty {
            sliding = (0..<layers).map { pattern[$0 % pattern.count].stringValue == "sliding_attention" }
        }
        let window = c.int("sliding_window")
        if window == nil { sliding = [] }
        var attention = AttentionShape(
            kind: kvLora > 0 ? .mla : .gqa, heads: heads, kvHeads: kvHeads, headDim: c.int("head_dim") ?? hidden / heads,
            qLoraRank: c.int("q_lora_rank") ?? 0, kvLoraRank: kvLora, ropeHeadDim: c.int("qk_rope_head_dim") ?? 0,
            nopeHeadDim: c.int("qk_nope_head_dim") ?? 0, valueHeadDim: c.int("v_head_dim") ?? 0,
            slidingWindow: window, slidingLayers: sliding)
        attention.outputGate = c.json["attn_output_gate"]?.boolValue ?? false
        if let topK = c.int("index_topk") {
            attention.sparseTopK = topK
            attention.indexerHeads = try c.required("index_n_heads")
            attention.indexerHeadDim = try c.required("index_head_dim")
        }
        return attention
    }

    /// Hybrid models: linear-attention layers named in layer_types, or every layer but each full_attention_interval-th.
    static func linearAttention(_ c: ConfigFields, layers: Int) throws(ConfigError) -> LinearAttentionShape? {
        guard let valueHeads = c.int("linear_num_value_heads") else { return nil }
        let pattern: [Bool]
        if case let .array(types)? = c.json["layer_types"] {
            pattern = types.prefix(layers).map { $0.stringValue == "linear_attention" }
        } else {
            let interval = c.int("full_attention_interval") ?? 4
            pattern = (0..<layers).map { ($0 + 1) % interval != 0 }
        }
        return LinearAttentionShape(keyHeads: try c.required("linear_num_key_heads"), valueHeads: valueHeads,
                                    keyHeadDim: try c.required("linear_key_head_dim"),
                                    valueHeadDim: try c.required("linear_value_head_dim"), layers: pattern)
    }

    /// The mixture of experts, when the config routes over more than one expert.
    static func moe(_ c: ConfigFields, layers: Int) throws(ConfigError) -> MoEShape? {
        guard let experts = c.int("n_routed_experts", "num_experts", "num_local_experts"), experts > 1 else { return nil }
        _ = try c.bounded(experts, "num_experts", 2...1_000_000)
        let topK = try c.bounded(try c.required("num_experts_per_tok", "experts_per_token", "moe_topk"), "num_experts_per_tok", 1...experts)
        let expertIntermediate = try c.bounded(try c.required("moe_intermediate_size", "intermediate_size"), "moe_intermediate_size",
                                               1...10_000_000)
        // Qwen names one shared expert by its width; count it in expert-sized units.
        let shared = c.int("n_shared_experts")
            ?? c.int("shared_expert_intermediate_size").map { max(1, Int((Double($0) / Double(expertIntermediate)).rounded())) } ?? 0
        return MoEShape(routedExperts: experts, sharedExperts: shared, topK: topK, expertIntermediate: expertIntermediate,
                        firstDenseLayers: try c.bounded(c.int("first_k_dense_replace") ?? 0, "first_k_dense_replace", 0...layers))
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

    /// The model with this id or alias (case-insensitive); a quantised checkpoint (`nvidia/<model>-NVFP4`, `<org>/<model>-FP8`,
    /// `-AWQ`, …) is its base architecture, its precision being the row's or the user's; else an error listing the known ones.
    public func model(_ name: String) throws(ConfigError) -> ModelArchitecture {
        let key = name.lowercased()
        if let m = models.first(where: { $0.id == key || $0.aliases.contains { $0.lowercased() == key } }) { return m }
        let base = Self.baseCheckpoint(key)
        if base != key, let m = models.first(where: { m in
            Self.baseCheckpoint(m.id) == base || m.aliases.contains { Self.baseCheckpoint($0.lowercased()) == base }
        }) {
            return m
        }
        throw ConfigError(field: "model", message: "unknown model '\(name)'; known: \(models.map(\.id).joined(separator: ", ")), or pass a config.json path")
    }
}

extension ModelCatalog {
    /// Quantisation suffixes checkpoint publishers add to a model's name.
    static let quantisationSuffixes = ["-nvfp4", "-mxfp4", "-fp4", "-fp8-dynamic", "-fp8", "-int4", "-w4a16", "-w8a8", "-awq", "-gptq", "-int8"]

    /// A checkpoint's name without its organisation and quantisation suffix: `nvidia/DeepSeek-R1-NVFP4` → `deepseek-r1`.
    static func baseCheckpoint(_ name: String) -> String {
        var base = String(name.lowercased().split(separator: "/").last ?? "")
        while let suffix = quantisationSuffixes.first(where: { base.hasSuffix($0) }) { base.removeLast(suffix.count) }
        return base
    }
}

/// The fields of a config, read with the error a user needs: a missing field, or one outside its range, named with the file.
/// Shapes are checked before anything loops or divides over them: a config is user input.
struct ConfigFields {
    var json: JSONValue
    var source: String

    /// The first of these keys that holds an integer.
    func int(_ keys: String...) -> Int? {
        for key in keys { if let v = json[key]?.intValue { return v } }
        return nil
    }

    /// The first of these keys that holds an integer, or an error naming them.
    func required(_ keys: String...) throws(ConfigError) -> Int {
        for key in keys { if let v = json[key]?.intValue { return v } }
        throw ConfigError(field: keys[0], message: "\(source) has no \(keys.joined(separator: " or "))")
    }

    /// The value, or an error when it is outside the range.
    func bounded(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard range.contains(value) else {
            throw ConfigError(field: name, message: "\(source): \(name) is \(value), outside \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }
}
