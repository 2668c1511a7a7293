import Foundation
import Testing
import TokenMeterCore
import TokenMeterModel

let models = try! ModelCatalog.load()

@Suite struct ModelArchitectureTests {
    /// Derived parameter counts agree with the published ones. "Active" counts what a token multiplies through
    /// (the LM head but not the embedding lookup), the convention of gpt-oss; vendors differ, hence 3%.
    @Test(arguments: ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "deepseek-v3", "kimi-k2", "qwen3-235b-a22b", "qwen3-32b",
                      "gpt-oss-120b", "gpt-oss-20b", "kimi-k2.5", "minimax-m2.5", "qwen3.5-397b-a17b", "glm-5"])
    func parameterCountsMatchPublishedFigures(_ id: String) throws {
        let model = try models.model(id)
        let published = try #require(models.published[id])
        let total = try #require(published.total)
        #expect(abs(model.totalParameters / 1e9 - total) / total < 0.02, "\(id) total \(model.totalParameters / 1e9)B vs \(total)B")
        if let active = published.active {
            // Within 3%, beyond the publisher's own rounding ("A17B" is anything from 16.5B to 17.5B).
            let slack = published.activeRounding / 2 + 0.03 * active
            #expect(abs(model.activeParameters / 1e9 - active) <= slack, "\(id) active \(model.activeParameters / 1e9)B vs \(active)B")
        } else {
            #expect(model.activeParameters < model.totalParameters)
        }
    }

    @Test func hybridAndSparseAttentionCacheOnlyWhatTheyAttend() throws {
        // Qwen3.5: 15 of 60 layers hold KV (2 KV heads × 256), the other 45 a fixed Gated DeltaNet state per sequence.
        let qwen = try models.model("Qwen/Qwen3.5-397B-A17B")
        #expect(qwen.fullAttentionLayers == 15)
        #expect(qwen.kvBytesPerToken(bytesPerElement: 2) == 15 * 2 * 2 * 256 * 2)
        #expect(qwen.linearStateBytes == 45 * 64 * 128 * 128 * 4)
        #expect(qwen.kvBytes(context: 1000, bytesPerElement: 1) == 15 * 1024 * 1000)
        // GLM-5 (DSA): the cache holds the latent, RoPE key and indexer key; a query reads 2,048 tokens plus every indexer key.
        let glm = try models.model("zai-org/GLM-5")
        #expect(glm.kvBytesPerToken(bytesPerElement: 1) == 78 * (512 + 64 + 128))
        #expect(glm.attendedTokens(100_000) == 2048)
        #expect(glm.attendedTokens(1000) == 1000)
        let read = glm.kvReadBytes(context: 100_000, bytesPerElement: 1)
        #expect(read == 78 * (576 * 2048 + 128 * 100_000))
    }

    @Test func kvBytesPerTokenFollowTheFormulas() throws {
        // GQA: 2 · L · n_kv · d · bytes.
        #expect(try models.model("llama-3.1-8b").kvBytesPerToken(bytesPerElement: 2) == 2 * 32 * 8 * 128 * 2)
        #expect(try models.model("llama-3.1-70b").kvBytesPerToken(bytesPerElement: 1) == 2 * 80 * 8 * 128)
        // MLA: L · 576 · bytes.
        #expect(try models.model("deepseek-r1").kvBytesPerToken(bytesPerElement: 2) == 61 * 576 * 2)
        #expect(try models.model("kimi-k2").attention.kind == .mla)
    }

    @Test func slidingWindowLayersCapTheirCache() throws {
        let model = try models.model("openai/gpt-oss-120b")
        #expect(model.attention.slidingLayers.count == 36)
        #expect(model.attention.slidingLayers.filter { $0 }.count == 18)
        let perLayerToken = 2.0 * 8 * 64 * 1  // fp8
        // At 8,192 tokens: 18 full layers hold 8,192 tokens, 18 windowed layers hold 128.
        #expect(model.kvBytes(context: 8192, bytesPerElement: 1) == perLayerToken * (18 * 8192 + 18 * 128))
        #expect(model.kvBytes(context: 100, bytesPerElement: 1) == perLayerToken * 36 * 100)
    }

    @Test func moeShapesAndExpertsTouched() throws {
        let ds = try models.model("deepseek-ai/DeepSeek-R1")
        #expect(ds.moe == MoEShape(routedExperts: 256, sharedExperts: 1, topK: 8, expertIntermediate: 2048, firstDenseLayers: 3))
        #expect(ds.moeLayers == 58)
        #expect(abs(ds.linearFLOPsPerToken - 2 * ds.activeParameters) < 1)
    }

    @Test func readsAUsersConfigFileAndNamesMissingFields() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-model-\(UUID().uuidString)/my-model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let file = dir.appendingPathComponent("config.json")
        try #"{"text_config": {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 1000, "tie_word_embeddings": true}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let model = try HuggingFaceConfig.architecture(path: file.path)
        #expect(model.id == "my-model")
        #expect(model.attention.kvHeads == 4 && model.attention.headDim == 16)
        // 2 layers × (4·64·64 attention + 3·64·128 FFN) + 1000·64 tied embedding.
        let perLayer: Double = 4 * 64 * 64 + 3 * 64 * 128
        let expected: Double = 2 * perLayer + 1000 * 64
        #expect(model.totalParameters == expected)
        try #"{"num_hidden_layers": 2, "hidden_size": 64}"#.write(to: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigError.self) { try HuggingFaceConfig.architecture(path: file.path) }
        #expect(error.field == "num_attention_heads")
        #expect(throws: ConfigError.self) { try models.model("no-such-model") }
    }
}
