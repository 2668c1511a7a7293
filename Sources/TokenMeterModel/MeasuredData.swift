import Foundation
import TokenMeterCore

/// One measured serving point in the format of `measured-hopper.csv` (aiconfigurator silicon data).
public struct MeasuredRow: Sendable, Equatable {
    /// Row id.
    public var id: String
    /// Hugging Face model id.
    public var modelPath: String
    /// System (`h100_sxm`).
    public var system: String
    /// Engine (`trtllm`, `vllm`, `sglang`).
    public var backend: String
    /// `agg` or `disagg`.
    public var mode: String
    /// Weight precision as written (`fp8`, `fp4`, `int4`, or empty for BF16).
    public var precision: String
    /// Input and output tokens.
    public var inputLength: Int
    /// Output tokens.
    public var outputLength: Int
    /// Concurrency (agg).
    public var concurrency: Int
    /// Layout (agg).
    public var parallelism: Parallelism
    /// Measured median TTFT, ms.
    public var ttftMilliseconds: Double
    /// Measured median TPOT, ms.
    public var tpotMilliseconds: Double

    /// Creates a row.
    public init(id: String, modelPath: String, system: String, backend: String, mode: String, precision: String, inputLength: Int,
                outputLength: Int, concurrency: Int, parallelism: Parallelism, ttftMilliseconds: Double, tpotMilliseconds: Double) {
        self.id = id
        self.modelPath = modelPath
        self.system = system
        self.backend = backend
        self.mode = mode
        self.precision = precision
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.concurrency = concurrency
        self.parallelism = parallelism
        self.ttftMilliseconds = ttftMilliseconds
        self.tpotMilliseconds = tpotMilliseconds
    }
}

/// Reads measured-data CSV files.
public enum MeasuredData {
    /// Parses every row; a malformed row is an error naming its line.
    public static func read(path: String) throws(ConfigError) -> [MeasuredRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "data", message: "cannot read '\(path)'")
        }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        guard let headerLine = lines.first else { throw ConfigError(field: "data", message: "'\(path)' is empty") }
        let header = fields(headerLine)
        let required = ["id", "model_path", "system", "backend", "mode", "precision", "isl", "osl", "batch_size", "tp_size",
                        "silicon_ttft_ms", "silicon_tpot_ms"]
        for column in required where !header.contains(column) {
            throw ConfigError(field: "data", message: "'\(path)' has no \(column) column")
        }
        var rows: [MeasuredRow] = []
        for (number, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let values = fields(line)
            var row: [String: String] = [:]
            for (i, column) in header.enumerated() where i < values.count { row[column] = values[i] }
            func int(_ k: String) -> Int? { row[k].flatMap { Int($0) } }
            guard let isl = int("isl"), let osl = int("osl"), let ttft = row["silicon_ttft_ms"].flatMap(Double.init),
                  let tpot = row["silicon_tpot_ms"].flatMap(Double.init)
            else { throw ConfigError(field: "data", message: "\(path):\(number + 1): missing isl, osl, ttft or tpot") }
            rows.append(MeasuredRow(
                id: row["id"] ?? "", modelPath: row["model_path"] ?? "", system: row["system"] ?? "", backend: row["backend"] ?? "",
                mode: row["mode"] ?? "", precision: row["precision"] ?? "", inputLength: isl, outputLength: osl,
                concurrency: int("batch_size") ?? 0,
                parallelism: Parallelism(tensor: int("tp_size") ?? 1, pipeline: int("pp_size") ?? 1, attentionData: int("attention_dp_size") ?? 1,
                                         expert: int("moe_ep_size") ?? 1, expertTensor: int("moe_tp_size") ?? 1),
                ttftMilliseconds: ttft, tpotMilliseconds: tpot))
        }
        return rows
    }

    /// Splits one CSV line (double quotes protect commas).
    static func fields(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle() } else if ch == ",", !quoted { out.append(current); current = "" } else { current.append(ch) }
        }
        out.append(current)
        return out
    }
}
