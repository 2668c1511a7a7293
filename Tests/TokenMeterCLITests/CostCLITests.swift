import Foundation
import Testing
import TokenMeterBench
import TokenMeterCore

@Suite struct CostCLITests {
    @Test func barePriceMatchesThePublishedExample() async throws {
        let r = try await tokenmeter(["cost", "--throughput", "90", "--gpu", "h200", "--tier", "hyperscaler"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("4.352"))
        #expect(r.stdout.contains("provisioned-all-in"))
    }

    @Test func pricesAMeasuredRunUnderSeveralProfiles() async throws {
        let dir = scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let bench = try await tokenmeter(["bench", "--concurrency", "1,4,16", "--requests", "16", "--isl", "64", "--osl", "32", "--quiet",
                                          "--slo", "ttft_p99=5s,tpot_p99=1s", "--output", run.path])
        #expect(bench.status == 0, "\(bench.stderr)")
        let rental = dir.appendingPathComponent("rental.yaml")
        try "kind: rental\nname: h100-cheap\ngpu: h100\nusd_per_gpu_hour: 1.0\n".write(to: rental, atomically: true, encoding: .utf8)
        let owned = dir.appendingPathComponent("owned.yaml")
        try """
            kind: owned
            name: b200-owned
            gpu: b200
            capex_usd_per_gpu: 35000
            life_years: 4
            cost_of_capital: 0.1
            usd_per_kwh: 0.08
            power: {kw_per_gpu: 2.17, boundary: provisioned-all-in}
            utilisation: 0.8
            """.write(to: owned, atomically: true, encoding: .utf8)
        let api = dir.appendingPathComponent("api.yaml")
        try "kind: api\nname: card\nusd_per_mtok_input: 0.2\nusd_per_mtok_output: 0.8\n".write(to: api, atomically: true, encoding: .utf8)
        let result = run.appendingPathComponent("result.json").path
        let text = try await tokenmeter(["cost", "--result", result, "--compare", rental.path, owned.path, api.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("iceberg: capex"))
        #expect(text.stdout.contains("card blended price $0.350/Mtok"))
        #expect(text.stdout.contains("rank"))
        #expect(text.stdout.contains("95% interval"))
        let json = try await tokenmeter(["cost", "--result", result, "--compare", rental.path, owned.path, api.path, "--json",
                                         "--sla", "ttft_p99=5s,tpot_p99=1s"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONValue.parse(json.stdout)
        guard case let .array(points)? = report["points"] else { Issue.record("no points"); return }
        #expect(points.count == 3)
        #expect(report["comparison"]?["rows"]?[0]?["name"]?.stringValue == "h100-cheap")
        #expect(report["at_sla"] != nil)
        // Window slices give a confidence interval on every hardware price.
        #expect(points[2]["costs"]?[0]?["usd_per_mtok_total_ci95"]?["samples"]?.intValue == 5)
        // Repeats: the same result twice is two samples per point.
        let repeats = try await tokenmeter(["cost", "--result", result, "--result", result, "--usd-per-gpu-hour", "2", "--json"])
        #expect(try JSONValue.parse(repeats.stdout)["points"]?[0]?["costs"]?[0]?["usd_per_mtok_total_ci95"]?["samples"]?.intValue == 2)
    }

    @Test(arguments: [
        ["cost"],
        ["cost", "--throughput", "90"],
        ["cost", "--throughput", "90", "--gpu", "h200", "--tier", "spot"],
        ["cost", "--throughput", "90", "--gpu", "nope", "--tier", "rental"],
        ["cost", "--throughput", "-1", "--usd-per-gpu-hour", "2"],
        ["cost", "--throughput", "90", "--usd-per-gpu-hour", "2", "--fleet-mw", "10", "--power-kw", "1", "--power-boundary", "node-measured"],
        ["cost", "--throughput", "90", "--usd-per-gpu-hour", "2", "--power-kw", "1"],
        ["cost", "--throughput", "90", "--usd-per-gpu-hour", "2", "--at-interactivity", "50"],
        ["cost", "--throughput", "90", "--usd-per-gpu-hour", "2", "--blend", "three"],
        ["cost", "--throughput", "90", "--usd-per-gpu-hour", "2", "--sla", "mlperf-llama3.1-8b"],
        ["cost", "--result", "/nonexistent/result.json", "--usd-per-gpu-hour", "2"],
        ["cost", "--throughput", "90", "--profile", "/nonexistent/profile.yaml"],
    ])
    func badCostInputExitsWithCodeTwoAndOneLine(_ arguments: [String]) async throws {
        let r = try await tokenmeter(arguments)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
    }
}
