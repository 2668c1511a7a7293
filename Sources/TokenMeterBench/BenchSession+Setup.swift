import Foundation
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterTelemetry
import TokenMeterTokenizer

extension BenchSession {
    /// The model to name in requests: the plan's, else the first the server lists; with warnings for the result.
    func discoverModel(_ client: StreamingHTTPClient) async throws -> (model: String, serverModels: [String], warnings: [String]) {
        let address = plan.endpoint.address
        var serverModels: [String] = []
        do {
            serverModels = try await ModelDiscovery.models(client: client, address: address, headers: plan.endpoint.headers)
        } catch let failure as RequestFailure where failure.kind == .connect {
            throw BenchError(message: "cannot reach \(address): \(failure.message). Is the server running? Check --url.")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if plan.endpoint.model == nil { throw BenchError(message: "\(address) did not list its models (\(error)); pass --model NAME") }
        }
        guard let model = plan.endpoint.model ?? serverModels.first else {
            throw BenchError(message: "\(address) lists no models; pass --model NAME")
        }
        var warnings: [String] = []
        if let named = plan.endpoint.model, !serverModels.isEmpty, !serverModels.contains(named) {
            warnings.append("model '\(named)' is not among the server's models (\(serverModels.joined(separator: ", ")))")
        }
        return (model, serverModels, warnings)
    }

    /// What makes prompt lengths exact: the local tokenizer, else the server's `/tokenize` when it works (required with
    /// `--tokenize server`), else nothing (approximate lengths, said in a warning).
    func chooseTokenCounter(_ client: StreamingHTTPClient, model: String) async throws
        -> (counter: (any TokenCounter)?, source: String, warnings: [String])
    {
        if let local = plan.workload.tokenizer {
            return (local.tokenizer, "local tokenizer (\((local.path as NSString).lastPathComponent))", [])
        }
        guard plan.workload.tokenize != .off else { return (nil, "approximate", ["prompt lengths are approximate (--tokenize off)"]) }
        let candidate = ServerTokenCounter(client: client, address: plan.endpoint.address, model: model)
        do {
            _ = try await candidate.count("hello world")
            return (candidate, isReference ? "reference tokenizer" : "server /tokenize", [])
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if plan.workload.tokenize == .server {
                throw BenchError(message: "the server's /tokenize failed (\(error)); use --tokenize auto or off")
            }
            return (nil, "approximate", ["prompt lengths are approximate: the server has no working /tokenize (\(error))"])
        }
    }

    /// The server's Prometheus metrics, scraped when it answers `/metrics` in that format (and scraping is on).
    func startScraper(_ client: StreamingHTTPClient) async throws -> (scraper: MetricsScraper?, warnings: [String]) {
        guard plan.telemetry.scrapeIntervalSeconds != nil else { return (nil, []) }
        let candidate = MetricsScraper(client: client, address: plan.endpoint.address)
        switch await candidate.scrape() {
        case .success: return (candidate, [])
        case let .failure(failure):
            if Task.isCancelled { throw CancellationError() }
            return (nil, ["server metrics not scraped: \(failure.message)"])
        }
    }
}
