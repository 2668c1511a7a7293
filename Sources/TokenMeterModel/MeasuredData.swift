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
    /// The engine's version as the row gives it (`0.12.0`; empty when it does not).
    public var backendVersion = ""
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
    /// What was assumed because the row did not say (its worker counts), nil when the row gave everything.
    public var assumption: String?

    /// Creates a layout.
    public init(prefill: Parallelism, prefillWorkers: Int, prefillBatch: Int, decode: Parallelism, decodeWorkers: Int, assumption: String? = nil) {
        self.prefill = prefill
        self.prefillWorkers = prefillWorkers
        self.prefillBatch = prefillBatch
        self.decode = decode
        self.decodeWorkers = decodeWorkers
        self.assumption = assumption
    }

    /// Streams per attention rank of a decode worker, and decode workers per prefill worker, assumed for a disaggregated
    /// row that names its layouts but not how many workers of each ran, fitted on the Hopper rows that give their counts
    /// (../shared/data/measured-hopper.csv, 36 rows with a concurrency): a deployment serves more users with fuller decode
    /// workers, not only more of them — streams per attention rank ≈ 0.95 · C^0.57 (log-log least squares; 16 at C = 140) —
    /// and runs one prefill worker to three decode workers (the median).
    public static func assumedDecodeBatch(concurrency: Int) -> Int { max(1, Int((0.95 * pow(Double(max(1, concurrency)), 0.57)).rounded())) }
    public static let assumedDecodePerPrefill = 3
    public static let assumedWorkers = "decode workers holding 0.95·C^0.57 streams per attention rank, one prefill worker per 3 decode workers, "
        + "prefill batch 1 (the row gives no worker counts; fitted on the Hopper rows that do)"

    /// The assumed layout of a row that gives its prefill and decode layouts and its concurrency but no worker counts.
    public static func assumed(prefill: Parallelism, decode: Parallelism, concurrency: Int) -> DisaggregatedLayout {
        let perWorker = assumedDecodeBatch(concurrency: concurrency) * max(1, decode.attentionData)
        let decodeWorkers = max(1, (concurrency + perWorker - 1) / perWorker)
        let prefillWorkers = max(1, Int((Double(decodeWorkers) / Double(assumedDecodePerPrefill)).rounded()))
        return DisaggregatedLayout(prefill: prefill, prefillWorkers: prefillWorkers, prefillBatch: 1, decode: decode, decodeWorkers: decodeWorkers,
                                   assumption: assumedWorkers)
    }
}

extension MeasuredRow {
    /// The layout the row's id names (`…_tp8_ep8_…`), for a row whose columns contradict it: TP over every GPU it names, EP
    /// as named, attention not data-parallel.
    public var idLayout: Parallelism? {
        func token(_ prefix: String) -> Int? {
            id.split(separator: "_").lazy.compactMap { $0.hasPrefix(prefix) ? Int($0.dropFirst(prefix.count)) : nil }.first
        }
        guard let tp = token("tp") else { return nil }
        let ep = token("ep") ?? 1
        return Parallelism(tensor: tp, expert: ep, expertTensor: max(1, tp / max(ep, 1)))
    }

    /// What the prediction of this row assumed because the row did not say or contradicted itself, nil when nothing.
    public var assumption: String? {
        if let assumed = disaggregated?.assumption { return assumed }
        if mode != "disagg", let contradiction = idContradiction { return "the layout its id names (\(contradiction))" }
        if mode != "disagg", let contradiction = shardContradiction { return "TP raised to its expert shards (\(contradiction))" }
        return nil
    }

    /// Where the row's experts are split over more GPUs than its attention runs on (moe_tp × moe_ep above tp × attention_dp:
    /// no deployment has that), what disagrees; nil otherwise.
    public var shardContradiction: String? {
        let shards = parallelism.expert * parallelism.expertTensor
        guard shards > parallelism.gpus else { return nil }
        return "moe_tp_size \(parallelism.expertTensor) × moe_ep_size \(parallelism.expert) on tp_size \(parallelism.tensor) × attention_dp_size \(parallelism.attentionData)"
    }

    /// The layout of a row whose expert shards exceed its GPUs: as many GPUs as expert shards, TP raised to them.
    public var shardLayout: Parallelism {
        var layout = parallelism
        layout.tensor = max(1, parallelism.expert * parallelism.expertTensor / max(1, parallelism.attentionData * parallelism.pipeline))
        return layout
    }

    /// Everything that defines the row's configuration and measurement, without its id: two rows with the same key are one
    /// measurement recorded twice. The measurement is compared to nine significant digits: copies of one record differ in the
    /// last digit of a float (15.74079487610182 and 15.740794876101821 ms) where one tool printed it shortest and another did not.
    public var configurationKey: String {
        setupKey + "|" + String(format: "%.9g|%.9g", ttftMilliseconds, tpotMilliseconds)
    }

    /// What was measured, without the measurement: rows with the same key measured one configuration more than once.
    public var setupKey: String {
        [modelPath, system, backend, mode, precision, "\(inputLength)", "\(outputLength)", "\(concurrency)", parallelism.description,
         disaggregated.map { "\($0.prefill.description)x\($0.prefillWorkers)/\($0.decode.description)x\($0.decodeWorkers)" } ?? ""]
            .joined(separator: "|")
    }

    /// Where the row's own id names a layout (`_tp8_`, `_ep8_`) that its columns contradict, what disagrees; nil otherwise.
    public var idContradiction: String? {
        func token(_ prefix: String) -> Int? {
            for part in id.split(separator: "_") where part.hasPrefix(prefix) {
                if let n = Int(part.dropFirst(prefix.count)) { return n }
            }
            return nil
        }
        // TRT-LLM's ids name the GPUs as "tp" when attention runs data-parallel (tp_size 1 × attention_dp_size 8 is "tp8").
        let gpus = parallelism.tensor * parallelism.attentionData
        if let tp = token("tp"), tp != parallelism.tensor, tp != gpus { return "its id says tp\(tp) but tp_size is \(parallelism.tensor)" }
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
            // The benchmark's concurrency is in the source (`silicon_concurrency=N`) or the id (`_cN_`); `batch_size` is per
            // attention-DP rank (the benchmark ran batch_size × attention_dp_size clients), and disaggregated rows leave it empty.
            var concurrency: Int?
            if let source = row["silicon_data_source"], let range = source.range(of: "silicon_concurrency=") {
                concurrency = Int(source[range.upperBound...].prefix(while: \.isNumber))
            }
            if concurrency == nil, let id = row["id"] {
                concurrency = id.split(separator: "_").first { $0.hasPrefix("c") && Int($0.dropFirst()) != nil }.flatMap { Int($0.dropFirst()) }
            }
            if concurrency == nil, let batch = int("batch_size") { concurrency = batch * max(1, int("attention_dp_size") ?? 1) }
            // A disaggregated row that names none of those holds its load in its decode pool: decode_batch_size per attention-DP
            // rank of each decode worker (as the rows that give both agree: 64 × 9 workers = 576, 32 × 8 ranks = 256).
            if concurrency == nil, let batch = int("decode_batch_size"), let workers = int("decode_num_workers") {
                concurrency = batch * workers * max(1, int("decode_attention_dp_size") ?? 1)
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
            } else if row["mode"] == "disagg", int("prefill_tp_size") != nil, int("decode_tp_size") != nil, let c = concurrency {
                disaggregated = DisaggregatedLayout.assumed(prefill: layout("prefill_"), decode: layout("decode_"), concurrency: c)
            }
            var measured = MeasuredRow(
                id: row["id"] ?? "", modelPath: row["model_path"] ?? "", system: row["system"] ?? "", backend: row["backend"] ?? "",
                mode: row["mode"] ?? "", precision: row["precision"] ?? "", inputLength: isl, outputLength: osl,
                concurrency: concurrency ?? 0, parallelism: layout(""), disaggregated: disaggregated,
                ttftMilliseconds: ttft, tpotMilliseconds: tpot)
            measured.backendVersion = row["backend_version"] ?? ""
            rows.append(measured)
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
