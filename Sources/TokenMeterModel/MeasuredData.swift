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
    /// Prefill and decode pools of a disaggregated row, when the file gives them.
    public var disaggregated: DisaggregatedLayout?
    /// Measured median TTFT, ms.
    public var ttftMilliseconds: Double
    /// Measured median TPOT, ms.
    public var tpotMilliseconds: Double

    /// Creates a row.
    public init(id: String, modelPath: String, system: String, backend: String, mode: String, precision: String, inputLength: Int,
                outputLength: Int, concurrency: Int, parallelism: Parallelism, disaggregated: DisaggregatedLayout? = nil,
                ttftMilliseconds: Double, tpotMilliseconds: Double) {
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
        self.disaggregated = disaggregated
        self.ttftMilliseconds = ttftMilliseconds
        self.tpotMilliseconds = tpotMilliseconds
    }
}

/// The two pools of a disaggregated measurement.
public struct DisaggregatedLayout: Sendable, Equatable {
    /// Layout of one prefill worker.
    public var prefill: Parallelism
    /// Prefill workers.
    public var prefillWorkers: Int
    /// Prompts batched per prefill step.
    public var prefillBatch: Int
    /// Layout of one decode worker.
    public var decode: Parallelism
    /// Decode workers.
    public var decodeWorkers: Int

    /// Creates a layout.
    public init(prefill: Parallelism, prefillWorkers: Int, prefillBatch: Int, decode: Parallelism, decodeWorkers: Int) {
        self.prefill = prefill
        self.prefillWorkers = prefillWorkers
        self.prefillBatch = prefillBatch
        self.decode = decode
        self.decodeWorkers = decodeWorkers
    }
}

extension MeasuredRow {
    /// Where the row's own id names a layout (`_tp8_`, `_ep8_`) that its columns contradict, what disagrees; nil otherwise.
    public var idContradiction: String? {
        func token(_ prefix: String) -> Int? {
            for part in id.split(separator: "_") where part.hasPrefix(prefix) {
                if let n = Int(part.dropFirst(prefix.count)) { return n }
            }
            return nil
        }
        if let tp = token("tp"), tp != parallelism.tensor { return "its id says tp\(tp) but tp_size is \(parallelism.tensor)" }
        if let ep = token("ep"), ep != parallelism.expert { return "its id says ep\(ep) but moe_ep_size is \(parallelism.expert)" }
        return nil
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
            // Disaggregated rows leave batch_size empty: the concurrency is in the source (`silicon_concurrency=N`) or the id (`_cN_`).
            var concurrency = int("batch_size")
            if concurrency == nil, let source = row["silicon_data_source"], let range = source.range(of: "silicon_concurrency=") {
                concurrency = Int(source[range.upperBound...].prefix(while: \.isNumber))
            }
            if concurrency == nil, let id = row["id"] {
                concurrency = id.split(separator: "_").first { $0.hasPrefix("c") && Int($0.dropFirst()) != nil }.flatMap { Int($0.dropFirst()) }
            }
            func layout(_ prefix: String) -> Parallelism {
                Parallelism(tensor: int(prefix + "tp_size") ?? 1, pipeline: int(prefix + "pp_size") ?? 1,
                            attentionData: int(prefix + "attention_dp_size") ?? 1, expert: int(prefix + "moe_ep_size") ?? 1,
                            expertTensor: int(prefix + "moe_tp_size") ?? 1)
            }
            var disaggregated: DisaggregatedLayout?
            if let np = int("prefill_num_workers"), let nd = int("decode_num_workers") {
                disaggregated = DisaggregatedLayout(prefill: layout("prefill_"), prefillWorkers: np, prefillBatch: int("prefill_batch_size") ?? 1,
                                                    decode: layout("decode_"), decodeWorkers: nd)
            }
            rows.append(MeasuredRow(
                id: row["id"] ?? "", modelPath: row["model_path"] ?? "", system: row["system"] ?? "", backend: row["backend"] ?? "",
                mode: row["mode"] ?? "", precision: row["precision"] ?? "", inputLength: isl, outputLength: osl,
                concurrency: concurrency ?? 0, parallelism: layout(""), disaggregated: disaggregated,
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
