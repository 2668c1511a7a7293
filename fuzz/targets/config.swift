// Fuzz target: the files that set up a run and its price: the YAML config (`--config`, the document reader under it, and
// the multi-document reader that llm-d report imports use),
// cost profiles (YAML, TokenMeterCost), price-card files and GPU catalog files (JSON). The first byte picks the reader;
// the rest is the file. Each must return a value or throw a ConfigError with a message; never trap.
import Foundation

extension Bundle { static var module: Bundle { .main } }

/// The built-in GPUs, so that a profile naming one resolves as it would in the tool.
let builtInCatalog: HardwareCatalog = {
    var catalog = HardwareCatalog(gpus: [], tiers: [:])
    let path = ProcessInfo.processInfo.environment["TOKENMETER_FUZZ_GPUS"] ?? "Sources/TokenMeterCost/Resources/gpus.json"
    if let data = FileManager.default.contents(atPath: path) { try? catalog.merge(data, source: path) }
    return catalog
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let body = Data(bytes[1...])
    let text = String(decoding: body, as: UTF8.self)
    do {
        switch bytes[0] % 5 {
        case 0:
            // The stream reader behind llm-d report imports (every document, as JSON values), then the config reader.
            do { _ = try YAMLDocument.jsonDocuments(text, source: "fuzz.yaml") } catch { precondition(!error.message.isEmpty, "an error without a message") }
            _ = try YAMLDocument.load(text, source: "fuzz.yaml", typed: true)
        case 1: _ = try YAMLDocument.load(text, source: "fuzz.yaml", typed: false)
        case 2:
            let profile = try CostProfile.parse(yaml: text, source: "fuzz.yaml", catalog: builtInCatalog)
            _ = profile.name
        case 3:
            var cards = PriceCatalog(cards: [])
            try cards.merge(body, source: "fuzz.json")
        default:
            var catalog = HardwareCatalog(gpus: [], tiers: [:])
            try catalog.merge(body, source: "fuzz.json")
        }
    } catch { precondition(!error.message.isEmpty, "an error without a message") }
    return 0
}
