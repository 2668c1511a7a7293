import Foundation
import TokenMeterCore
import TokenMeterCost

extension ModelCatalog {
    /// A catalog model, or the architecture of a Hugging Face config.json.
    public func architecture(_ name: String) throws(ConfigError) -> ModelArchitecture {
        name.hasSuffix(".json") ? try HuggingFaceConfig.architecture(path: name) : try model(name)
    }
}

extension Parallelism {
    /// A layout from a GPU count and degrees, checked: TP × DP = GPUs, EP divides the GPUs and needs a MoE model; experts are
    /// tensor-parallel over what EP leaves. `flag` prefixes the option names in errors (`prefill-`).
    public static func resolve(for model: ModelArchitecture, gpus: Int, tp: Int?, ep: Int?, dp: Int, flag: String = "") throws(ConfigError) -> Parallelism {
        let tensor = tp ?? max(1, gpus / max(dp, 1))
        guard gpus >= 1, dp >= 1 else { throw ConfigError(field: flag + "gpus", message: "--\(flag)gpus and --\(flag)dp must be at least 1") }
        guard tensor >= 1, tensor * dp == gpus else {
            throw ConfigError(field: flag + "tp", message: "tp × dp must equal the GPUs of a \(flag.isEmpty ? "replica" : "worker") (\(tensor) × \(dp) ≠ \(gpus))")
        }
        let expert = ep ?? 1
        guard model.moe != nil || expert == 1 else {
            throw ConfigError(field: flag + "ep", message: "\(model.id) is dense; expert parallelism needs a MoE model")
        }
        guard expert >= 1, gpus % expert == 0 else { throw ConfigError(field: flag + "ep", message: "--\(flag)ep must divide the GPUs (\(gpus))") }
        return Parallelism(tensor: tensor, attentionData: dp, expert: expert, expertTensor: model.moe == nil ? 1 : gpus / expert)
    }
}

extension MeasuredData {
    /// The rows of one GPU, engine and precision that the validator can predict, each with its setup.
    public static func rows(_ rows: [MeasuredRow], gpu: GPUEntry, engine: String, precision: Precision, validator: Validator) -> [(MeasuredRow, RowSetup)] {
        rows.compactMap { row in
            guard row.backend == engine, (try? Precision(parsing: row.precision)) == precision,
                  (try? validator.hardware.gpu(row.system.replacingOccurrences(of: "_", with: "-")))?.id == gpu.id,
                  let setup = try? validator.setup(row).get() else { return nil }
            return (row, setup)
        }
    }
}
