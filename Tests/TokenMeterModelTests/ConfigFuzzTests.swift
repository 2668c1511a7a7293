import Foundation
import Testing
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel
import TokenMeterTestSupport

/// Random config.json documents — the known keys with random values (negative, zero, huge, fractional, wrong types,
/// arrays) — never crash the parser or the step model: a config either reads, or fails with a ConfigError naming the field.
@Suite struct ConfigFuzzTests {
    static let keys = ["num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads", "vocab_size", "head_dim",
                       "intermediate_size", "moe_intermediate_size", "n_routed_experts", "num_experts", "num_experts_per_tok", "n_shared_experts",
                       "first_k_dense_replace", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim",
                       "sliding_window", "layer_types", "index_topk", "index_n_heads", "index_head_dim", "linear_num_value_heads",
                       "linear_num_key_heads", "linear_key_head_dim", "linear_value_head_dim", "full_attention_interval",
                       "shared_expert_intermediate_size", "attn_output_gate", "tie_word_embeddings", "text_config"]

    static func value(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch rng.next() % 10 {
        case 0: return .number(-Double(rng.next() % 100))
        case 1: return .number(0)
        case 2: return .number(1e300)
        case 3: return .number(Double(rng.next() % 1000) + 0.5)
        case 4: return .string("x")
        case 5: return .null
        case 6: return .bool(rng.next() % 2 == 0)
        case 7: return depth > 1 ? .number(1) : .array((0..<Int(rng.next() % 80)).map { _ in rng.pick([.string("linear_attention"), .string("sliding_attention"), .string("full_attention"), .number(3)]) })
        default: return .number(Double(rng.next() % 300 + 1))
        }
    }

    /// CPU-bound: runs on a Dispatch thread (never on the two-wide cooperative pool other tests share) and reports back.
    @Test func randomConfigsReadOrFailWithAConfigError() async {
        let (read, problems) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Self.fuzz(count: 1500)) }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(read > 50, "only \(read) configs read")
    }

    static func fuzz(count: Int) -> (read: Int, problems: [String]) {
        var rng = SeededRandom(seed: 20261202)
        var read = 0
        var problems: [String] = []
        let spec = try! HardwareSpec(try! HardwareCatalog.load(environment: [:]).gpu("h100"))
        for _ in 0..<count {
            var fields: [(String, JSONValue)] = []
            // Mostly plausible documents with a few broken fields, so that the step model also runs on odd shapes.
            let base: [(String, JSONValue)] = [("num_hidden_layers", .number(Double(rng.next() % 8 + 1))), ("hidden_size", .number(Double(rng.next() % 512 + 1))),
                                               ("num_attention_heads", .number(Double(rng.next() % 16 + 1))), ("vocab_size", .number(1000)),
                                               ("intermediate_size", .number(Double(rng.next() % 1024 + 1)))]
            fields += base
            for _ in 0..<Int(rng.next() % 6) { fields.append((rng.pick(Self.keys), Self.value(&rng, depth: 0))) }
            // Later keys win in a JSON object read by key? Keep the first occurrence only, as a JSON document would.
            var seen = Set<String>()
            fields = fields.reversed().filter { seen.insert($0.0).inserted }
            do {
                let model = try HuggingFaceConfig.architecture(json: .object(fields), id: "fuzz", source: "fuzz")
                read += 1
                let step = PerformanceModel(deployment: Deployment(model: model, hardware: spec, precision: .fp8, parallelism: Parallelism()))
                    .step(decoding: 4, context: 512, prefillTokens: 64, promptLength: 128)
                if !(model.totalParameters.isFinite && model.totalParameters > 0 && model.kvBytes(context: 100, bytesPerElement: 1) >= 0
                     && step.total.isFinite && step.total >= 0) {
                    problems.append(JSONValue.object(fields).serialized)
                }
            } catch {
                // A ConfigError: the one allowed failure.
            }
        }
        return (read, problems)
    }
}
