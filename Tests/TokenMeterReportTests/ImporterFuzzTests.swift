import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults
import TokenMeterTestSupport

/// Random documents shaped like each import format — its keys with random values (negative, huge, fractional, wrong types,
/// nested), or a real file with members dropped and values replaced — never crash the importer: a file imports, or fails
/// with one ConfigError.
@Suite struct ImporterFuzzTests {
    static let keys: [Importer.Format: [String]] = [
        .vllm: ["duration", "completed", "failed", "total_input_tokens", "total_output_tokens", "max_concurrency", "request_rate", "model_id",
                "mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "median_tpot_ms", "p90_tpot_ms", "mean_e2el_ms", "ttfts", "itls", "output_lens"],
        .aiperf: ["time_to_first_token", "inter_token_latency", "request_latency", "request_count", "error_request_count", "benchmark_duration",
                  "output_token_throughput", "input_sequence_length", "output_sequence_length", "request_throughput", "input_config"],
        .inferencex: ["conc", "isl", "osl", "tput_per_gpu", "output_tput_per_gpu", "input_tput_per_gpu", "median_ttft", "p99_tpot", "mean_e2el",
                      "median_intvty", "hw", "framework"],
    ]

    /// The nested formats start from a real file (Tests/TokenMeterCLITests/Fixtures), mutated: members dropped, values replaced.
    static let seeds: [Importer.Format: String] = [
        .guidellm: "peers/guidellm-benchmarks.json", .inferencePerf: "peers/inference-perf-stage_0_lifecycle_metrics.json",
        .llmd: "llmd-v0.2-example.yaml", .tokenmeter: "peers/tokenmeter-result.json",
    ]

    static func seed(_ format: Importer.Format) throws -> JSONValue? {
        guard let name = seeds[format] else { return nil }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TokenMeterCLITests/Fixtures/\(name)")
        var text = try String(contentsOf: url, encoding: .utf8)
        if format == .guidellm, var json = try? JSONValue.parse(Array(text.utf8)), case var .array(benchmarks)? = json["benchmarks"] {
            // Without the per-request records (200 KB) each round stays quick.
            benchmarks = benchmarks.map { b in
                guard case let .object(members) = b else { return b }
                return .object(members.map { $0.0 == "requests" ? ($0.0, .object([])) : $0 })
            }
            if case let .object(members) = json { json = .object(members.map { $0.0 == "benchmarks" ? ($0.0, .array(benchmarks)) : $0 }) }
            text = json.serialized
        }
        return try YAMLDocument.jsonDocuments(text, source: name).first
    }

    static func mutate(_ v: JSONValue, _ rng: inout SeededRandom, depth: Int) -> JSONValue {
        switch v {
        case let .object(members):
            var out: [(String, JSONValue)] = []
            for (k, child) in members {
                switch rng.next() % 40 {
                case 0: continue
                case 1: out.append((k, value(&rng, depth: depth)))
                default: out.append((k, mutate(child, &rng, depth: depth + 1)))
                }
            }
            return .object(out)
        case let .array(items):
            return .array(items.compactMap { rng.next() % 30 == 0 ? nil : mutate($0, &rng, depth: depth + 1) })
        default:
            return rng.next() % 12 == 0 ? value(&rng, depth: depth) : v
        }
    }

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
            // The nested formats start from real files (up to tens of KB each round): fewer rounds keep the suite's load down.
            DispatchQueue.global().async { continuation.resume(with: Result { try Self.fuzz(format, count: Self.seeds[format] == nil ? 600 : 200) }) }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(imported > 5, "only \(imported) documents imported")
    }

    static func fuzz(_ format: Importer.Format, count: Int) throws -> (Int, [String]) {
        var rng = SeededRandom(seed: 20261202 &+ UInt64(format.rawValue.count))
        var problems: [String] = []
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-import-fuzz-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let seed = try Self.seed(format)
        let keys = Self.keys[format] ?? []
        var imported = 0
        for _ in 0..<count {
            if let seed {
                // A quarter of the rounds import the file as it is (a mutated tokenmeter result seldom decodes at all).
                let document = rng.next() % 4 == 0 ? seed : Self.mutate(seed, &rng, depth: 0)
                try document.serialized.write(to: file, atomically: true, encoding: .utf8)
                do {
                    let run = try Importer.load(paths: [file.path], format: format, model: nil, gpus: Int(rng.next() % 8 + 1))
                    imported += 1
                    if run.result.points.isEmpty { problems.append(String(document.serialized.prefix(300))) }
                } catch {
                    if error.message.isEmpty { problems.append(String(document.serialized.prefix(300))) }
                }
                continue
            }
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
