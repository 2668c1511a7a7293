import Foundation
import Testing
import TokenMeterCore
import TokenMeterModel

@Suite struct ModelCLITests {
    @Test func predictPrintsAPricedFrontWithItsBound() async throws {
        let r = try await tokenmeter(["predict", "--model", "qwen3-32b", "--hardware", "h200", "--gpus", "2", "--isl", "1024", "--osl", "512",
                                      "--concurrency", "1,8,32", "--tier", "neocloud"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("TPOT ms") && r.stdout.contains("SOL"))
        #expect(r.stdout.contains("$/Mtok"))
        // No calibration of the user's: the fit tokenmeter ships (every engine's Hopper rows; TRT-LLM's has the most), with its band.
        #expect(r.stdout.contains("efficiencies: built-in fit, measured on h100+h200 with trtllm"), "\(r.stdout)")
        #expect(r.stdout.contains("no --engine given, so the engine with the most rows (--engine sglang|trtllm|vllm for another)"), "\(r.stdout)")
        #expect(r.stdout.contains("±"))
        #expect(r.stdout.contains("Pareto front (output tok/s/GPU vs tok/s/user): c=32, c=8, c=1"))
        let tooBig = try await tokenmeter(["predict", "--model", "llama-3.1-405b", "--hardware", "h100", "--gpus", "1", "--precision", "bf16",
                                           "--concurrency", "1"])
        #expect(tooBig.status == 0)
        #expect(tooBig.stdout.contains("does not fit: needs"))
        // --simulate adds the scheduler's p50, p90 and p99 beside the estimate, with where they come from.
        let sim = try await tokenmeter(["predict", "--model", "qwen3-32b", "--hardware", "h200", "--gpus", "2", "--isl", "1024", "--osl", "256",
                                        "--concurrency", "8", "--simulate", "--json", "--priors"])
        #expect(sim.status == 0, "\(sim.stderr)")
        let json = try JSONValue.parse(sim.stdout)
        let point = try #require(json["points"]?[0]?["simulated"])
        let p50 = try #require(point["ttft_ms"]?.doubleValue), p99 = try #require(point["ttft_p99_ms"]?.doubleValue)
        let p90 = try #require(point["ttft_p90_ms"]?.doubleValue)
        #expect(p50 > 0 && p90 >= p50 && p99 >= p90 && (point["tpot_p99_ms"]?.doubleValue ?? 0) >= (point["tpot_p90_ms"]?.doubleValue ?? .infinity))
        #expect((point["tpot_p90_ms"]?.doubleValue ?? 0) >= (point["tpot_ms"]?.doubleValue ?? .infinity))
        #expect(json["efficiency"]?["provenance"]?.stringValue == "prior" && json["efficiency"]?["request_ms"]?.doubleValue == 0)
        let front = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--isl", "1024", "--osl", "128", "--search",
                                          "--max-gpus", "2", "--slo", "ttft_p99=500ms,tpot_p50=30ms", "--simulate", "--engine", "sglang"])
        #expect(front.status == 0, "\(front.stderr)")
        #expect(front.stdout.contains("sim TTFT p50 / p90 / p99 ms") && front.stdout.contains("checked on the simulated percentiles"), "\(front.stdout)")
    }

    @Test func calibratedPredictionCarriesAnErrorBand() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cli-calib-\(UUID().uuidString).csv")
        try """
            id,model_path,system,backend,mode,precision,isl,osl,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,silicon_ttft_ms,silicon_tpot_ms
            a,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,,1024,1024,8,1,1,,1,1,60,8
            b,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,,1024,1024,32,1,1,,1,1,120,10
            c,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,,4096,256,16,1,1,,1,1,300,12
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--precision", "bf16", "--concurrency", "8,32",
                                      "--calibrate-data", file.path, "--engine", "vllm"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("efficiencies: measured now on 3 vllm rows"))
        #expect(r.stdout.contains("± is the p90 absolute error of the fit on its 3 points"))
        let prior = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--concurrency", "1", "--priors"])
        #expect(prior.stdout.contains("stated priors (--priors)") && prior.stdout.contains("uncalibrated"), "\(prior.stdout)")
        let both = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--priors", "--calibrate-data", file.path,
                                         "--engine", "vllm"])
        #expect(both.status == 2 && both.stderr.contains("--priors and --calibrate-data"), "\(both.stderr)")
    }

    @Test func validateReportsErrorsAndWhatItCannotPredict() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cli-measured-\(UUID().uuidString).csv")
        try """
            id,model_path,system,backend,mode,precision,isl,osl,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,silicon_ttft_ms,silicon_tpot_ms
            a,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,,1024,1024,8,1,1,,1,1,60,8
            b,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,vllm,agg,,1024,1024,32,1,1,,1,1,120,10
            c,Some/UnknownModel,h100_sxm,vllm,agg,fp8,1024,1024,8,1,1,,1,1,60,8
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try await tokenmeter(["validate", "--data", file.path, "--worst", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("3 rows: 0 duplicates collapsed, 2 predicted, 1 not predictable"), "\(r.stdout)")
        #expect(r.stdout.contains("h100_sxm, calibrated without it"))
        #expect(r.stdout.contains("1 rows: unknown model 'Some/UnknownModel'"))
        let fitted = try await tokenmeter(["validate", "--data", file.path, "--fit", file.path])
        #expect(fitted.status == 0 && fitted.stdout.contains("calibrated on the --fit file"), "\(fitted.stderr)")
        let csv = file.path + ".predictions.csv"
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let written = try await tokenmeter(["validate", "--data", file.path, "--predictions", csv])
        #expect(written.status == 0, "\(written.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("id,system,model,engine,mode,precision,isl,osl,concurrency,layout,assumption,ttft_ms,tpot_ms,") == true)
        #expect(lines.count == 3, "\(lines)")  // the header and the two predicted rows; the unknown model is not predicted
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            #expect(cells.count == 17 && cells[11...].allSatisfy { Double($0).map { $0 > 0 } == true }, "\(line)")
        }
        // One system: nothing is left to fit on when it is left out, and the report says so instead of printing the priors.
        let single = file.path + ".h100.csv"
        defer { try? FileManager.default.removeItem(atPath: single) }
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").filter { !$0.contains("h200_sxm") }.joined(separator: "\n")
            .write(toFile: single, atomically: true, encoding: .utf8)
        let one = try await tokenmeter(["validate", "--data", single])
        #expect(one.status == 0 && one.stdout.contains("leave-one-system-out needs rows of two systems or more")
                && !one.stdout.contains("calibrated without it"), "\(one.stdout)")
        let missing = try await tokenmeter(["validate", "--data", file.path, "--fit", "/nonexistent/fit.csv"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/fit.csv"), "\(missing.stderr)")
    }

    @Test(arguments: [
        ["predict", "--model", "nope", "--hardware", "h100"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "tpu"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--precision", "fp2"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--gpus", "4", "--tp", "3"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--gpus", "2", "--ep", "2"],
        ["validate", "--data", "/nonexistent/data.csv"],
        ["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--mtp", "2"],
        ["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--mtp", "2", "--acceptance", "1.5"],
        ["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--acceptance", "0.8"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--prefix-hit", "1"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--search", "--slo", "ttft_p99=fast"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--tier", "hyperscaler", "--profile", "x.yaml"],
        ["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--disagg", "--prefill-gpus", "8", "--prefill-tp", "3"],
        ["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--disagg", "--prefill-gpus", "4", "--prefill-dp", "3"],
        ["calibrate", "--data", "/nonexistent/data.csv", "--hardware", "h100", "--engine", "vllm", "--precision", "fp8"],
        ["calibrate", "--hardware", "h100", "--engine", "vllm", "--precision", "fp8"],
        ["calibrate", "--result", "/nonexistent/run.json"],
    ])
    func badModelInputExitsWithCodeTwo(_ arguments: [String]) async throws {
        let r = try await tokenmeter(arguments)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
    }

    /// Disaggregated serving with explicit pools, MTP, and the search with its SLO: one line each that a user relies on.
    @Test func predictsDisaggregatedSpeculativeAndSearchedConfigurations() async throws {
        let disagg = try await tokenmeter(["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--dp", "8", "--ep", "8",
                                           "--disagg", "--prefill-gpus", "8", "--prefill-ep", "8", "--isl", "8192", "--osl", "1024",
                                           "--concurrency", "64,256", "--mtp", "1", "--acceptance", "0.85", "--tier", "hyperscaler"])
        #expect(disagg.status == 0, "\(disagg.stderr)")
        #expect(disagg.stdout.contains("MTP γ=1 α=0.85"))
        #expect(disagg.stdout.contains("disaggregated, prefill tp8 pp1 dp1 ep8"))
        #expect(disagg.stdout.contains("KV transfer"))
        #expect(disagg.stdout.contains("-limited"))
        // Both pools on one virtual clock: the simulated p50 and p99 beside the estimate, with MTP, prefix hits and KV offload
        // too; without its pools a disaggregated prediction is a search, which --simulate needs to be told.
        let simulated = try await tokenmeter(["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--ep", "8", "--disagg",
                                              "--prefill-gpus", "8", "--prefill-ep", "8", "--prefill-workers", "1", "--decode-workers", "3",
                                              "--isl", "8192", "--osl", "1024", "--concurrency", "16", "--simulate", "--json"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let point = ((try JSONSerialization.jsonObject(with: Data(simulated.stdout.utf8)) as? [String: Any])?["points"] as? [[String: Any]])?.first
        #expect(point?["simulated"] != nil, "\(simulated.stdout)")
        let withMTP = try await tokenmeter(["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--ep", "8", "--disagg",
                                            "--prefill-gpus", "8", "--prefill-ep", "8", "--prefill-workers", "1", "--mtp", "1", "--acceptance", "0.85",
                                            "--prefix-hit", "0.5", "--kv-offload", "--concurrency", "16", "--simulate"])
        #expect(withMTP.status == 0 && withMTP.stdout.contains("sim TTFT p50 / p90 / p99"), "\(withMTP.stderr)")
        // A prefill layout with attention DP, as the search names its pools (`P(tp1 dp4 etp4)`), can be run on its own.
        let prefillDP = try await tokenmeter(["predict", "--model", "deepseek-r1", "--hardware", "gb200", "--precision", "fp4", "--gpus", "8",
                                              "--dp", "8", "--disagg", "--prefill-gpus", "4", "--prefill-dp", "4", "--prefill-workers", "4",
                                              "--decode-workers", "1", "--concurrency", "256"])
        #expect(prefillDP.status == 0 && prefillDP.stdout.contains("prefill tp1 pp1 dp4 ep1 etp4"), "\(prefillDP.stdout)\(prefillDP.stderr)")
        let noPools = try await tokenmeter(["predict", "--model", "deepseek-r1", "--hardware", "h200", "--gpus", "8", "--disagg", "--simulate"])
        #expect(noPools.status == 2 && noPools.stderr.contains("give the prefill pool"), "\(noPools.stderr)")
        let search = try await tokenmeter(["predict", "--model", "deepseek-r1", "--hardware", "gb200", "--precision", "fp4", "--isl", "8192",
                                           "--osl", "1024", "--search", "--slo", "ttft_p99=2s,tpot_p99=50ms", "--tier", "hyperscaler", "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any]
        #expect((json?["enumerated"] as? Double ?? 0) >= 10_000)
        let best = json?["best"] as? [String: Any]
        #expect(best?["meets_slo"] as? Bool == true)
        #expect((best?["usd_per_mtok_total"] as? Double ?? 0) > 0)
    }

    /// A scratch folder with `rows.csv` (measured rows under the CSV's header) and the environment of a calibration store in it.
    static func calibrationRows(_ rows: String) throws -> (dir: URL, file: URL, env: [String: String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cli-cal-\(UUID().uuidString)")
        let file = dir.appendingPathComponent("rows.csv")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try ("id,model_path,system,backend,mode,precision,isl,osl,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,"
             + "silicon_ttft_ms,silicon_tpot_ms\n" + rows).write(to: file, atomically: true, encoding: .utf8)
        return (dir, file, ["TOKENMETER_CALIBRATION_DIR": dir.appendingPathComponent("store").path])
    }

    /// calibrate --data fits and stores; predict then uses the fit on the same GPU (measured), on its family and on any other
    /// GPU (transferred), and the priors for an engine nobody fitted.
    @Test func calibrationIsStoredAndTransfersWithinAFamily() async throws {
        let (dir, file, env) = try Self.calibrationRows("""
            a,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,fp8,1024,1024,8,1,1,,1,1,60,8
            b,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,fp8,1024,1024,32,1,1,,1,1,120,10
            c,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,fp8,4096,256,16,1,1,,1,1,300,12
            """)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fit = try await tokenmeter(["calibrate", "--data", file.path, "--hardware", "h100", "--engine", "vllm", "--precision", "fp8"], environment: env)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("fitted 3 points of rows.csv on h100 (hopper), vllm, fp8"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("store/h100-vllm-fp8.json").path))
        let list = try await tokenmeter(["calibrate", "--list"], environment: env)
        #expect(list.stdout.contains("h100") && list.stdout.contains("rows.csv"))
        let own = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--concurrency", "8"], environment: env)
        #expect(own.stdout.contains("efficiencies: measured on h100 with vllm"), "\(own.stdout)")
        #expect(own.stdout.contains("±"))
        let kin = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h200", "--concurrency", "8"], environment: env)
        #expect(kin.stdout.contains("transferred from h100 (same hopper family)"))
        let far = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "mi300x", "--concurrency", "8"], environment: env)
        #expect(far.stdout.contains("transferred by the datasheet terms from h100"), "\(far.stdout)")
        let otherEngine = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h200", "--engine", "sglang", "--concurrency", "8"],
                                               environment: env)
        #expect(otherEngine.stdout.contains("built-in fit, measured on h100+h200 with sglang"), "\(otherEngine.stdout)")
        // On a GPU the built-in fit never saw, its band is the one measured on held-out GPUs; an engine it has no rows of gets the priors.
        let unseen = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "b200", "--engine", "sglang", "--concurrency", "8",
                                           "--json"], environment: env)
        let efficiency = try JSONValue.parse(unseen.stdout)["efficiency"]
        #expect(efficiency?["provenance"]?.stringValue == "transferred" && efficiency?["error_band"]?["held_out"] == .bool(true), "\(unseen.stdout)")
        let noFit = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h200", "--engine", "llama.cpp", "--concurrency", "8"],
                                         environment: env)
        #expect(noFit.stdout.contains("stated priors"), "\(noFit.stdout)")
    }

    /// calibrate --data without a GPU or precision fits each engine over every GPU and precision of the file, as validate
    /// does: predict uses it on a GPU it saw (measured) and on one it never saw (by the datasheet terms); a fit on the GPU
    /// itself comes first.
    @Test func anEngineWideFitCoversEveryGPU() async throws {
        let (dir, file, env) = try Self.calibrationRows("""
            a,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,fp8,1024,1024,8,1,1,,1,1,60,8
            b,meta-llama/Llama-3.1-8B-Instruct,h200_sxm,vllm,agg,bf16,1024,1024,32,1,1,,1,1,120,10
            c,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,sglang,agg,fp8,4096,256,16,1,1,,1,1,300,12
            d,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,sglang,agg,fp8,1024,256,4,1,1,,1,1,150,7
            e,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,vllm,agg,fp8,4096,256,16,1,1,,1,1,200,11
            """)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fit = try await tokenmeter(["calibrate", "--data", file.path], environment: env)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("fitted 3 points of rows.csv on h100+h200 (hopper), vllm, every precision"), "\(fit.stdout)")
        #expect(fit.stdout.contains("fitted 2 points of rows.csv on h100 (hopper), sglang, every precision"), "\(fit.stdout)")
        for name in ["vllm-every-gpu.json", "sglang-every-gpu.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("store/\(name)").path), "\(name)")
        }
        // The fit carries what the engine simulation needs, fitted on simulated values: its lock-step share and its own
        // per-request cost beside the formula's.
        let stored = try CalibrationStore(directory: dir.appendingPathComponent("store").path).all().first { $0.engine == "vllm" }
        let simulated = try #require(stored?.efficiency.simulatedRequestMilliseconds)
        #expect(simulated >= 0 && fit.stdout.contains("simulated request ms"), "\(fit.stdout)")
        // Rows of two GPUs give the band on a GPU the fit did not see (each GPU's rows predicted from the other's); one GPU's do not.
        #expect(stored?.heldOutBand?.rows == 3 && fit.stdout.contains("held out (each GPU's rows predicted with a fit on the others)"), "\(fit.stdout)")
        #expect(try CalibrationStore(directory: dir.appendingPathComponent("store").path).all().first { $0.engine == "sglang" }?.heldOutBand == nil)
        let seen = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h200", "--engine", "vllm", "--concurrency", "8"], environment: env)
        #expect(seen.stdout.contains("efficiencies: measured on h100+h200 with vllm, one fit over every GPU and precision"), "\(seen.stdout)")
        let unseen = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "b200", "--engine", "sglang", "--concurrency", "8"],
                                          environment: env)
        #expect(unseen.stdout.contains("transferred by the datasheet terms from h100 with sglang, one fit over every GPU"), "\(unseen.stdout)")
        let own = try await tokenmeter(["calibrate", "--data", file.path, "--engine", "vllm", "--hardware", "h100", "--precision", "fp8"], environment: env)
        #expect(own.status == 0, "\(own.stderr)")
        let mine = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--engine", "vllm", "--concurrency", "8"], environment: env)
        #expect(mine.stdout.contains("efficiencies: measured on h100 with vllm (2 points"), "\(mine.stdout)")
        let none = try await tokenmeter(["calibrate", "--data", file.path, "--engine", "trtllm"], environment: env)
        #expect(none.status == 2 && none.stderr.contains("no usable row of trtllm"), "\(none.stderr)")
    }

    /// A real sweep against the built-in target, then calibrate --result on it: the points become rows and the fit is stored.
    @Test func calibratesOnAMeasuredRun() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cli-calrun-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_CALIBRATION_DIR": dir.appendingPathComponent("store").path,
                   "TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        let bench = try await tokenmeter(["bench", "--concurrency", "1,4", "--requests", "16", "--isl", "256", "--osl", "32", "--quiet",
                                          "--output", dir.path], environment: env)
        #expect(bench.status == 0, "\(bench.stderr)")
        let result = dir.appendingPathComponent("result.json").path
        let fit = try await tokenmeter(["calibrate", "--result", result, "--hardware", "h100", "--engine", "reference-target",
                                        "--precision", "fp8", "--model", "llama-3.1-8b"], environment: env)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("fitted 2 points of result.json on h100"))
        #expect(fit.stdout.contains("caution: 2 points fit nine parameters"))
        let unknown = try await tokenmeter(["calibrate", "--result", result, "--hardware", "h100", "--engine", "x", "--precision", "fp8",
                                            "--model", "no-such-model"], environment: env)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("not in the catalog"))
    }
}
