import Foundation
import Testing
import TokenMeterTestSupport

/// `tokenmeter report` writes one self-contained HTML file; a real headless browser renders it, the DOM has every chart with
/// its axes, legend and cost assumptions, nothing is fetched from anywhere, and a screenshot is kept as a test artifact.
@Suite struct ReportBrowserTests {
    @Test func reportRendersInARealBrowserWithEveryChartAndItsAssumptions() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        // The first run counts tokens with a real GPT-2 tokenizer too (scripts/tokenizer-fixtures makes it; scripts/test sets the folder).
        let fixtures = try #require(ProcessInfo.processInfo.environment["TOKENMETER_TOKENIZER_FIXTURES"],
                                    "TOKENMETER_TOKENIZER_FIXTURES is not set: run scripts/tokenizer-fixtures (scripts/test does)")
        for (hardware, levels) in [("h100", "1,4"), ("h200", "2,8")] {
            let tokenizer = hardware == "h100" ? ["--tokenizer", fixtures + "/gpt-2"] : []
            let r = try await tokenmeter(["bench", "--concurrency", levels, "--requests", "12", "--isl", "64", "--osl", "24", "--quiet",
                                          "--hardware", hardware, "--label", "on-\(hardware)", "--output", dir.appendingPathComponent(hardware).path,
                                          "--scrape-interval", "100ms"]
                                         + tokenizer, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        let ids = (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids.count == 2)
        let file = dir.appendingPathComponent("report.html")
        let report = try await tokenmeter(["report"] + ids + ["-o", file.path, "--tier", "neocloud", "--title", "H100 vs H200"], environment: env)
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: file, encoding: .utf8)
        // Self-contained: no scripts, stylesheets, images or fonts from anywhere.
        for pattern in ["<script", "<link", "<img", "src=\"http", "href=\"http", "@import", "url("] {
            #expect(!html.contains(pattern), "\(pattern)")
        }
        let dom = try await HeadlessBrowser.dom(file.absoluteString)
        for id in ["chart-throughput", "chart-cost", "chart-ttft", "chart-tpot", "chart-over-time", "chart-iceberg", "chart-server-queue"] {
            #expect(dom.contains("id=\"\(id)\""), "\(id) missing")
        }
        #expect(dom.contains("<h1>H100 vs H200</h1>"))
        // Legends name both runs; axes carry units; every cost states its assumptions.
        #expect(dom.contains("on-h100 (") && dom.contains("on-h200 ("))
        #expect(dom.contains("output tokens/s per GPU") && dom.contains("$ per million tokens") && dom.contains("(ms, log scale)"))
        #expect(dom.contains("h100-neocloud, $") && dom.contains("h200-neocloud, $") && dom.contains("per used GPU-hour"))
        #expect(dom.contains("power boundary provisioned-all-in"))
        #expect(dom.contains("class=\"legend-item\""))
        #expect(dom.components(separatedBy: "<polyline").count > 6)
        #expect(dom.contains("id=\"telemetry\""))
        // Token counts, kept in the store and drawn: usage, the local tokenizer and the server's counters agree for the GPT-2 run.
        #expect(dom.contains("id=\"tokens\""))
        let agree = try NSRegularExpression(pattern: #"on-h100 \([^)]*\) · c=4</td><td>\d+</td><td>(\d+) / \1 / \1</td><td>(\d+) / \2 / \2</td>"#)
        #expect(agree.firstMatch(in: dom, range: NSRange(dom.startIndex..., in: dom)) != nil)
        let shot = try await HeadlessBrowser.screenshot(file.absoluteString, name: "report.png")
        let size = (try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "screenshot \(shot) is \(size) bytes")
    }

    /// The default run (no GPU, no price given) opens its report with the answer and draws its cost, saying what it assumed.
    @Test func theDefaultRunsReportOpensWithThePriceItAssumed() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        let bench = try await tokenmeter(["bench", "--concurrency", "1,4", "--requests", "12", "--isl", "32", "--osl", "16", "--quiet",
                                          "--output", dir.appendingPathComponent("run").path], environment: env)
        #expect(bench.status == 0, "\(bench.stderr)")
        #expect(bench.stdout.contains("price (h100-hyperscaler)") && bench.stdout.contains("assumed: no cost source given"))
        let lines = bench.stdout.split(separator: "\n")
        #expect(lines.last?.hasPrefix("price note:") == true || lines.last?.hasPrefix("assumed:") == true, "the summary ends with the price")
        let file = dir.appendingPathComponent("report.html")
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        let ids = (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        let report = try await tokenmeter(["report"] + ids + ["-o", file.path], environment: env)
        #expect(report.status == 0, "\(report.stderr)")
        let dom = try await HeadlessBrowser.dom(file.absoluteString)
        let answer = try #require(dom.range(of: "id=\"answer\""))
        let runsTable = try #require(dom.range(of: "id=\"runs\""))
        #expect(answer.lowerBound < runsTable.lowerBound, "the answer comes first")
        #expect(dom.contains("/Mtok</b>") && dom.contains("output tok/s/GPU") && dom.contains("tok/s/MW") && dom.contains("per request"))
        #expect(dom.contains("assumed: no cost source given"))
        let cost = try #require(dom.range(of: "id=\"chart-cost\""))
        let chart = dom[cost.lowerBound...].prefix(20_000)
        #expect(chart.contains("<polyline") && !chart.contains("no data to draw"), "the cost chart is drawn")
    }
}
