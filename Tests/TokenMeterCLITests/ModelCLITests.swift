import Foundation
import Testing

@Suite struct ModelCLITests {
    @Test func predictPrintsAPricedFrontWithItsBound() async throws {
        let r = try await tokenmeter(["predict", "--model", "qwen3-32b", "--hardware", "h200", "--gpus", "2", "--isl", "1024", "--osl", "512",
                                      "--concurrency", "1,8,32", "--tier", "neocloud"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("TPOT ms (SOL)"))
        #expect(r.stdout.contains("$/Mtok total"))
        #expect(r.stdout.contains("Pareto front: c=32, c=8, c=1"))
        let tooBig = try await tokenmeter(["predict", "--model", "llama-3.1-405b", "--hardware", "h100", "--gpus", "1", "--precision", "bf16",
                                           "--concurrency", "1"])
        #expect(tooBig.status == 0)
        #expect(tooBig.stdout.contains("does not fit: needs"))
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
        #expect(r.stdout.contains("efficiencies: measured on 3 vllm rows"))
        #expect(r.stdout.contains("error band on the 3 calibration rows"))
        let prior = try await tokenmeter(["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--concurrency", "1"])
        #expect(prior.stdout.contains("uncalibrated"))
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
        #expect(r.stdout.contains("3 rows: 2 predicted, 1 not predictable"))
        #expect(r.stdout.contains("h100_sxm, calibrated without it"))
        #expect(r.stdout.contains("1 rows: unknown model 'Some/UnknownModel'"))
    }

    @Test(arguments: [
        ["predict", "--model", "nope", "--hardware", "h100"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "tpu"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--precision", "fp2"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--gpus", "4", "--tp", "3"],
        ["predict", "--model", "llama-3.1-8b", "--hardware", "h100", "--gpus", "2", "--ep", "2"],
        ["validate", "--data", "/nonexistent/data.csv"],
    ])
    func badModelInputExitsWithCodeTwo(_ arguments: [String]) async throws {
        let r = try await tokenmeter(arguments)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
    }
}
