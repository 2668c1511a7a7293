// Fuzz target: the Prometheus text parser (TokenMeterTelemetry) on any text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    if let exposition = try? PrometheusExposition(parsing: text) { _ = exposition.total("vllm:generation_tokens_total") }
    return 0
}
