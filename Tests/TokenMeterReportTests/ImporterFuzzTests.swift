import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults
import TokenMeterTestSupport

/// Random documents shaped like each import format — its keys with random values (negative, huge, fractional, wrong types,
/// nested) — never crash the importer: a file imports, or fails with one ConfigError.
@Suite struct ImporterFuzzTests {
    static let keys: [Importer.Format: [String]] = [
        .vllm: ["duration", "completed", "failed", "total_input_tokens", "total_output_tokens", "max_concurrency", "request_rate", "model_id",
                "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "median_tpot_ms", "p90_tpot_ms", "mean_e2el_ms", "ttfts", "itls", "output_lens"],
        .aiperf: ["time_to_first_token", "inter_token_latency", "request_latency", "request_count", "error_request_count", "benchmark_duration",
                  "output_token_throughput", "input_sequence_length", "output_sequence_length", "request_throughput", "input_config"],
        .inferencex: ["conc", "isl", "osl", "tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu", "median_ttft", "p99_tpot", "mean_e2el",
                      "median_intvty", "hw", "framework"],
    ]

    static func value(_ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch rng.next() % (depth > 2 ? 8 : 11) {
        case 0: return .number(-Double(rng.next() % 1000))
        case 1: return .number(0)
        case 2: return .number(1e300)
        case 3: return .number(Double(rng.next() % 100_000) / 7)
        case 4: return .string(rng.pick(["inf", "x", "ms", "sec", "ns"]))
        case 5: return .null
        case 6: return .bool(true)
        case 7: return .number(Double(rng.next() % 64 + 1))
        case 8: return .array((0..<Int(rng.next() % 5)).map { _ in value(&rng, depth: depth + 1) })
        case 9: return .object([("unit", .string(rng.pick(["ms", "sec", "ns", "requests"]))), ("avg", value(&rng, depth: depth + 1)),
                                ("p50", value(&rng, depth: depth + 1)), ("p90", value(&rng, depth: depth + 1)), ("p99", value(&rng, depth: depth + 1))])
        default: return .object([("concurrency", value(&rng, depth: depth + 1)), ("models", .object([("items", .array([.object([("name", .string("m"))])]))]))])
        }
    }

    /// CPU-bound: runs on a Dispatch thread (never on the two-wide cooperative pool other tests share) and reports back.
    @Test(arguments: Importer.Format.allCases)
    func randomDocumentsImportOrFailWithAConfigError(_ format: Importer.Format) async throws {
        let (imported, problems) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try Self.fuzz(format, count: 600) }) }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(imported > 5, "only \(imported) documents imported")
    }

    static func fuzz(_ format: Importer.Format, count: Int) throws -> (Int, [String]) {
        var rng = SeededRandom(seed: 20261202 &+ UInt64(format.rawValue.count))
        var problems: [String] = []
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-import-fuzz-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let keys = Self.keys[format]!
        var imported = 0
        for _ in 0..<count {
            var fields: [(String, JSONValue)] = []
            var seen = Set<String>()
            for key in keys where rng.next() % 3 != 0 && seen.insert(key).inserted {
                // Mostly sensible values, some broken ones.
                fields.append((key, rng.next() % 4 == 0 ? Self.value(&rng, depth: 0) : .number(Double(rng.next() % 200 + 1))))
            }
            let document: JSONValue = format == .inferencex && rng.next() % 2 == 0 ? .array([.object(fields), .object(fields)]) : .object(fields)
            try document.serialized.write(to: file, atomically: true, encoding: .utf8)
            do {
                let run = try Importer.load(paths: [file.path], format: format, model: nil, gpus: Int(rng.next() % 8 + 1))
                imported += 1
                if run.result.points.isEmpty { problems.append(document.serialized) }
            } catch {
                if error.message.isEmpty { problems.append(document.serialized) }
            }
        }
        return (imported, problems)
    }
}
