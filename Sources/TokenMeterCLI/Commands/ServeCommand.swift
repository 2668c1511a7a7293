import ArgumentParser
import Foundation
import TokenMeterCore
import TokenMeterCost
import TokenMeterResults
import TokenMeterServer
import TokenMeterStore

/// `tokenmeter serve`: the dashboard over the run store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a dashboard over the run store: list runs, open one, compare, download; a JSON API with an OpenAPI document.",
        discussion: """
            Binds 127.0.0.1 by default. Any other address needs a bearer token (TOKENMETER_DASHBOARD_TOKEN or --token-file), which
            every request must then send as 'Authorization: Bearer <token>'. Stops on Ctrl-C or SIGTERM.
            """
    )

    @OptionGroup var listen: ListenOptions
    @Option(help: "File holding the bearer token (else TOKENMETER_DASHBOARD_TOKEN).") var tokenFile: String?
    @OptionGroup var pricing: PricingOptions
    @OptionGroup var gpu: GPUOption

    func run() async throws {
        let host = listen.host, port = try listen.port(default: 8080)
        var token = ProcessInfo.processInfo.environment["TOKENMETER_DASHBOARD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ConfigError(field: "token-file", message: "cannot read \(tokenFile)")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let access = try DashboardAccess(host: host, port: port, token: token)
        let pricer = try Pricer(try pricing.policy(fallbackGPU: gpu.gpu))
        let store = try await RunsCommand.openStore()
        let location = store.location
        let dashboard = Dashboard(store: store, access: access, pricer: pricer)
        do {
            try await dashboard.run { port in
                // The token is never printed; only whether one is required.
                let line = "tokenmeter serve: http://\(access.host):\(port)/ over \(location)" + (access.token == nil ? "" : " (bearer token required)")
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        } catch {
            await store.close()
            throw ConfigError(field: "port", message: "cannot serve on \(host):\(port): \(error)")
        }
        await store.close()
    }
}
