import ArgumentParser
import TokenMeterCore
import TokenMeterCost
import TokenMeterModel

/// `--json`: print JSON instead of text.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of text.") var json = false
}

/// `--gpu`: the catalog GPU (`--hardware` is the same flag).
struct GPUOption: ParsableArguments {
    @Option(name: [.customLong("gpu"), .customLong("hardware")],
            help: "Catalog GPU (h100, h200, b200, b300, gb200, gb300, mi300x, mi325x, mi355x, or your own): what runs the model, or for report, runs compare and serve the GPU of runs that recorded none.")
    var gpu: String?
}

/// `--catalog`: a folder of the user's GPU catalog files.
struct CatalogOption: ParsableArguments {
    @Option(help: "Folder of extra GPU catalog JSON files (also TOKENMETER_CATALOG).") var catalog: String?
}

/// How costs are priced: one profile for everything, or each GPU at a catalog tier.
struct PricingOptions: ParsableArguments {
    @Option(help: "Price with this cost profile YAML file instead of a catalog tier.") var profile: String?
    @Option(help: "Catalog price tier: hyperscaler, neocloud or rental (default \(PricingPolicy.defaultTier)).") var tier: String?
    @Option(help: "Input:output weights of an API card's blended price.") var blend = Blend.standard.description
    @OptionGroup var catalog: CatalogOption

    /// True when a price was asked for by name (commands that price only on request).
    var requested: Bool { profile != nil || tier != nil }

    /// The one pricing policy, with `gpu` as the GPU of runs that recorded none.
    func policy(fallbackGPU: String? = nil) throws(ConfigError) -> PricingPolicy {
        PricingPolicy(profilePath: profile, tier: tier ?? PricingPolicy.defaultTier, fallbackGPU: fallbackGPU, catalogDirectory: catalog.catalog,
                      blend: try Blend(parsing: blend))
    }
}

/// `--model`: what the model is called.
struct ModelOption: ParsableArguments {
    @Option(help: "Model: for bench and runs import the name the endpoint serves (default: the first it lists, or what the files say); for predict, calibrate and target a catalog id (llama-3.1-8b, deepseek-r1, qwen3-235b-a22b, ...) or a config.json.")
    var model: String?
}

/// `--gpus`: GPUs behind the endpoint, or of one replica.
struct GPUCountOption: ParsableArguments {
    @Option(help: "GPUs behind the endpoint, or of one replica (one decode worker with predict --disagg); default 1.") var gpus: Int?

    /// The count, checked.
    func count(default value: Int = 1) throws(ConfigError) -> Int {
        let n = gpus ?? value
        guard n >= 1 else { throw ConfigError(field: "gpus", message: "must be at least 1, got \(n)") }
        return n
    }
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

/// `--engine`: the serving engine.
struct EngineOption: ParsableArguments {
    @Option(help: "Serving engine (vllm, sglang, trtllm, llama.cpp, ...): what served a run, or whose calibration predict uses.") var engine: String?
}

/// `--slo`: a service-level objective.
struct SLOOption: ParsableArguments {
    @Option(help: "Service-level objective, e.g. ttft_p99=2s,tpot_p99=80ms, or an MLPerf preset such as mlperf-llama3.1-8b.") var slo: String?

    /// The objective, when given.
    func objective() throws(ConfigError) -> ServiceLevelObjective? {
        try slo.map { s throws(ConfigError) in try ServiceLevelObjective(presetOrSpec: s) }
    }
}

/// `--concurrency`: the concurrencies to sweep.
struct ConcurrencyOption: ParsableArguments {
    @Option(help: "Concurrencies to sweep, e.g. 1,2,4,8 (bench default 1,4,16,64 unless --rate; predict default 1,2,4,...,256).")
    var concurrency: CommaList<Int>?

    /// The levels, or `fallback`; each from 1 to 100,000.
    func levels(default fallback: [Int]) throws(ConfigError) -> [Int] {
        let levels = concurrency?.values ?? fallback
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= 100_000 }) else {
            throw ConfigError(field: "concurrency", message: "concurrencies must be whole numbers from 1 to 100000, e.g. --concurrency 1,2,4,8")
        }
        return levels
    }
}

/// `--isl`, `--osl`: prompt and output lengths.
struct LengthOptions: ParsableArguments {
    @Option(help: "Input tokens: 1024, uniform:512-2048 or normal:MEAN,SD,MIN,MAX (bench default 256, predict 1024; predict takes the mean).")
    var isl: String?
    @Option(help: "Output tokens, the same forms as --isl (bench default 128, predict 1024).") var osl: String?
}

/// `--host`, `--port`: where a server listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Address to bind (anything but loopback needs care: see the command's description).") var host = "127.0.0.1"
    @Option(help: "Port to bind, 0 for any free one (serve default 8080, target 8000).") var port: Int?

    /// The port, or `fallback`, checked.
    func port(default fallback: Int) throws(ConfigError) -> Int {
        let p = port ?? fallback
        guard (0...65535).contains(p) else { throw ConfigError(field: "port", message: "must be 0...65535, got \(p)") }
        return p
    }
}

/// `--at-interactivity`: where on a front a cost is read.
struct InteractivityOption: ParsableArguments {
    @Option(help: "Read the cost at this interactivity (tok/s/user) off the front (runs compare default: each run's highest-throughput point).")
    var atInteractivity: Double?

    /// The interactivity, checked.
    func value() throws(ConfigError) -> Double? {
        if let atInteractivity, !(atInteractivity > 0) {
            throw ConfigError(field: "at-interactivity", message: "must be a positive number of tokens per second per user")
        }
        return atInteractivity
    }
}

/// `--result`: result files of bench.
struct ResultOption: ParsableArguments {
    @Option(help: "A tokenmeter result.json (cost: repeat it for repeated runs of the same sweep).") var result: [String] = []
}

/// `--data`: a measured serving CSV.
struct DataOption: ParsableArguments {
    @Option(help: "A CSV in the format of measured-hopper.csv.") var data: String?
}

/// `--label`: a free-text label kept with a run.
struct LabelOption: ParsableArguments {
    @Option(help: "Free-text label stored with the run.") var label: String?
}

/// `--tokenizer`: a Hugging Face tokenizer.
struct TokenizerOption: ParsableArguments {
    @Option(help: "A Hugging Face tokenizer.json (or its folder): exact prompt lengths and a local count of every output.") var tokenizer: String?
}

/// `-o`, `--output`: where to write.
struct OutputFileOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Where to write: bench's folder for result.json and timeline.jsonl (default tokenmeter-results/<time>), or the file of report and runs export.")
    var output: String?
}

/// One run id.
struct RunIDArgument: ParsableArguments {
    @Argument(help: "Run id (or a unique prefix).") var id: String
}

/// Several run (or prediction) ids.
struct RunIDsArgument: ParsableArguments {
    @Argument(help: "Run ids (or unique prefixes); runs compare also takes prediction ids (p-…).") var ids: [String] = []
}
