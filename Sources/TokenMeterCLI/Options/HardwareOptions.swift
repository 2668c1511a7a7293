import ArgumentParser
import TokenMeterCore

/// `--gpu`: the catalog GPU (`--hardware` is the same flag).
struct GPUOption: ParsableArguments {
    @Option(name: [.customLong("gpu"), .customLong("hardware")],
            help: "Catalog GPU (h100, h200, b200, b300, gb200, gb300, mi300x, mi325x, mi355x, or your own): what runs the model, or for report, runs compare and serve the GPU of runs that recorded none.")
    var gpu: String?
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

/// `--catalog`: a folder of the user's GPU catalog files.
struct CatalogOption: ParsableArguments {
    @Option(help: "Folder of extra catalog JSON files: GPUs and price cards (also TOKENMETER_CATALOG).") var catalog: String?
}

/// `--engine`: the serving engine.
struct EngineOption: ParsableArguments {
    @Option(help: "Serving engine (vllm, sglang, trtllm, llama.cpp, ...): what served a run, or whose calibration predict uses.") var engine: String?
}
