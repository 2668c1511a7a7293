import Foundation
import TokenMeterCore
import TokenMeterResults

extension Importer {
    /// An InferenceX file: an array of aggregate records (or `{results: [...]}`, or one record), one point each.
    static func inferenceXFile(_ json: JSONValue, index: Int) throws -> FileRead {
        let records: [JSONValue]
        if case let .array(a) = json { records = a } else if case let .array(a)? = json["results"] { records = a } else { records = [json] }
        var read = FileRead(tool: "InferenceX")
        for record in records {
            read.hardware = read.hardware ?? record["hw"]?.stringValue
            read.engine = read.engine ?? record["framework"]?.stringValue
            read.model = read.model ?? record["model"]?.stringValue
            read.points.append(try inferenceX(record, index: index + read.points.count))
        }
        return read
    }

    /// One InferenceX aggregate record: latencies in seconds, throughput per GPU, `conc`, `isl`, `osl`.
    static func inferenceX(_ r: JSONValue, index: Int) throws -> PointResult {
        func number(_ key: String) -> Double? { r[key]?.doubleValue }
        func seconds(_ name: String) -> JSONValue? {
            summary(count: 0, mean: number("mean_\(name)").map { $0 * 1000 }, p50: number("median_\(name)").map { $0 * 1000 },
                    p99: number("p99_\(name)").map { $0 * 1000 })
        }
        guard let conc = number("conc"), let output = number("output_tput_per_gpu") ?? number("tput_per_gpu") else {
            throw ConfigError(field: "import", message: "an InferenceX record needs conc and output_tput_per_gpu")
        }
        // Per-GPU figures are kept per GPU: the point stands for one GPU's share.
        let concurrency = try count(conc, "conc")
        var f = Figures(label: "c=\(concurrency)", concurrency: concurrency)
        f.outputPerSecond = output
        f.inputPerSecond = number("input_tput_per_gpu") ?? max(0, (number("tput_per_gpu") ?? output) - output)
        f.meanInput = number("isl") ?? 0
        f.meanOutput = number("osl") ?? 0
        f.ttft = seconds("ttft")
        f.tpot = seconds("tpot")
        f.itl = seconds("itl")
        f.e2e = seconds("e2el")
        f.tpotMedian = number("median_tpot").map { $0 * 1000 } ?? number("median_intvty").map { 1000 / $0 }
        return try point(index: index, f)
    }
}
