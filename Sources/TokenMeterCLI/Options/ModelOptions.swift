import ArgumentParser
import TokenMeterCore
import TokenMeterModel

/// `--model`: what the model is called.
struct ModelOption: ParsableArguments {
    @Option(help: "Model: for bench and runs import the name the endpoint serves (default: the first it lists, or what the files say); for predict, calibrate and target a catalog id (llama-3.1-8b, deepseek-r1, qwen3-235b-a22b, ...) or a config.json.")
    var model: String?
}

/// `--precision`: the weight precision the model runs at.
struct PrecisionOption: ParsableArguments {
    @Option(help: "Weight precision: bf16, fp8, fp4 or int4 (predict and target default fp8).") var precision: String?

    /// The precision, or `fallback` when none was given.
    func resolve(default fallback: Precision?) throws(ConfigError) -> Precision? {
        try precision.map { p throws(ConfigError) in try Precision(parsing: p) } ?? fallback
    }
}

/// The layout of one replica: tensor, expert and attention-data parallel degrees.
struct LayoutOptions: ParsableArguments {
    @Option(help: "Tensor parallel degree (default: the GPUs / --dp).") var tp: Int?
    @Option(help: "Expert parallel degree (MoE; default 1, experts tensor-parallel over the GPUs).") var ep: Int?
    @Option(help: "Attention data parallel degree.") var dp: Int = 1
}
