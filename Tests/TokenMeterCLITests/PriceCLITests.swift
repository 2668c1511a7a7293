import ArgumentParser
import Foundation
import Testing
@testable import TokenMeterCLI
import TokenMeterCore
import TokenMeterTestSupport

/// Bad price settings are one clear line and exit 2 before any request; `prices` lists and shows the cards.
@Suite struct PriceCLITests {
    @Test(arguments: [
        (["--price-card", "acme/nothing"], "unknown price card 'acme/nothing'"),
        (["--api", "anthropic", "--cache-ttl", "1h", "--price-card", "openai/gpt-5"], "has no 1h cache-write price"),
        (["--price-card", "openai/gpt-5", "--tier", "neocloud"], "not both"),
        (["--find-max"], "needs an objective"),
        (["--find-max", "--slo", "ttft_p99=1s", "--search-tolerance", "2"], "is not a fraction"),
    ])
    func badPriceSettingsAreNamed(_ arguments: [String], _ message: String) throws {
        let error = try #require(throws: ConfigError.self) { try BenchCommand.parse(["--url", "http://127.0.0.1:9/v1"] + arguments).plan() }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func anUnknownCardExitsTwoBeforeAnyRequest() async throws {
        let run = try await tokenmeter(["bench", "--url", "http://127.0.0.1:9/v1", "--price-card", "acme/nothing", "--no-store"])
        #expect(run.status == 2 && run.stderr.contains("unknown price card") && !run.stderr.contains("cannot reach"))
    }

    @Test func pricesListsAndShowsTheCardsWithTheirFlags() async throws {
        let list = try await tokenmeter(["prices", "--provider", "anthropic"])
        #expect(list.status == 0 && list.stdout.contains("anthropic/claude-sonnet-4-6") && !list.stdout.contains("openai/"))
        let show = try await tokenmeter(["prices", "openai/gpt-5.6-sol"])
        #expect(show.stdout.contains("flag: unconfirmed") && show.stdout.contains("source:"))
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try #"{"cards": [{"id": "acme/old", "provider": "acme", "model": "old", "input": 1, "output": 2, "effective_from": "2024-01-01", "effective_until": "2024-12-31"}]}"#
            .write(to: dir.appendingPathComponent("acme.json"), atomically: true, encoding: .utf8)
        let dropped = try await tokenmeter(["prices", "--catalog", dir.path, "--provider", "acme"])
        #expect(dropped.status == 0 && dropped.stdout.contains("acme/old") && dropped.stdout.contains("expired on 2024-12-31"), "\(dropped.stdout)")
    }

    /// One pricing path: a run bench priced by a card is compared at that card's price; one priced by GPUs at its profile.
    @Test func runsCompareKeepsTheCardARunWasPricedBy() async throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["TOKENMETER_STORE": dir.appendingPathComponent("runs.sqlite").path]
        for extra in [["--price-card", "anthropic/claude-haiku-4-5", "--api", "anthropic"], ["--gpu", "h200"]] {
            let run = try await tokenmeter(["bench", "--concurrency", "2", "--requests", "8", "--isl", "16", "--osl", "8", "--quiet",
                                            "--output", dir.appendingPathComponent(extra[1].replacingOccurrences(of: "/", with: "-")).path] + extra,
                                           environment: env)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let list = try await tokenmeter(["runs", "list", "--json"], environment: env)
        let ids = (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        let compare = try await tokenmeter(["runs", "compare"] + ids, environment: env)
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("anthropic/claude-haiku-4-5") && compare.stdout.contains("h200-hyperscaler"), "\(compare.stdout)")
    }
}
