import TokenMeterResults

extension Importer {
    typealias M = ImportSource.Mapping

    /// How each format's metric names map onto tokenmeter's (docs/cli.md has the same table). Where two tools use one name for
    /// different things the note says which: "ITL" is TPOT in AIPerf and GuideLLM, and the chunk gap in vLLM and inference-perf.
    static func mapping(_ format: Format) -> [ImportSource.Mapping] {
        switch format {
        case .aiperf:
            [M("ttft_ms", "time_to_first_token"), M("tpot_ms", "inter_token_latency", note: "AIPerf's ITL is (E2E − TTFT) / (OSL − 1) per request"),
             M("chunk_gap_ms", "inter_chunk_latency"), M("e2e_ms", "request_latency"), M("output_tok_s", "output_token_throughput"),
             M("input_tok_s", "input_token_throughput"), M("request_rate_per_s", "request_throughput"),
             M("requests_succeeded", "request_count"), M("requests_failed", "error_request_count")]
        case .vllm:
            [M("ttft_ms", "*_ttft_ms"), M("tpot_ms", "*_tpot_ms"), M("chunk_gap_ms", "*_itl_ms", note: "vLLM's ITL is the gap between streamed chunks"),
             M("e2e_ms", "*_e2el_ms"), M("output_tok_s", "total_output_tokens / duration"), M("requests_succeeded", "completed")]
        case .guidellm:
            [M("ttft_ms", "time_to_first_token_ms.successful"),
             M("tpot_ms", "inter_token_latency_ms.successful", note: "GuideLLM's ITL is (latency − TTFT) / (output tokens − 1); its TPOT "
                 + "(time_per_output_token_ms, latency / output tokens) has no tokenmeter counterpart"),
             M("e2e_ms", "request_latency.successful", note: "seconds"), M("output_tok_s", "output_tokens_per_second.total.mean"),
             M("input_tok_s", "prompt_tokens_per_second.total.mean"), M("request_rate_per_s", "requests_per_second.total.mean"),
             M("mean_concurrency", "request_concurrency.total.mean"), M("requests_succeeded", "request_totals.successful"),
             M("requests_failed", "request_totals.errored")]
        case .inferencePerf:
            [M("ttft_ms", "successes.latency.time_to_first_token", note: "seconds"),
             M("tpot_ms", "successes.latency.time_per_output_token", note: "(E2E − TTFT) / (OSL − 1), seconds"),
             M("chunk_gap_ms", "successes.latency.inter_token_latency", note: "inference-perf's ITL is every gap between streamed chunks"),
             M("e2e_ms", "successes.latency.request_latency"), M("output_tok_s", "successes.throughput.output_tokens_per_sec"),
             M("input_tok_s", "successes.throughput.input_tokens_per_sec"), M("request_rate_per_s", "successes.throughput.requests_per_sec"),
             M("mean_output_tokens", "successes.output_tokens.mean", note: "the server's usage; output_len is inference-perf's re-tokenized count"),
             M("requests_succeeded", "successes.count"), M("requests_failed", "failures.count")]
        case .inferencex:
            [M("ttft_ms", "*_ttft", note: "seconds"), M("tpot_ms", "*_tpot"), M("itl_ms", "*_itl"), M("e2e_ms", "*_e2el"),
             M("output_tok_s", "output_tput_per_gpu", note: "per GPU; the point stands for one GPU")]
        case .tokenmeter: []
        case .llmd:
            [M("ttft_ms", "latency.time_to_first_token"), M("tpot_ms", "latency.time_per_output_token"),
             M("itl_ms", "latency.inter_token_latency", note: "per token; a harness that fills it with chunk gaps (vLLM) gives chunk gaps"),
             M("e2e_ms", "latency.request_latency"), M("output_tok_s", "throughput.output_token_rate.mean (v0.2), output_tokens_per_sec (v0.1)"),
             M("input_tok_s", "throughput.input_token_rate.mean (v0.2), input_tokens_per_sec (v0.1)"),
             M("requests_succeeded", "requests.total − failures − incomplete"), M("chunk_gap_ms", "metadata.tokenmeter.chunk_gap (tokenmeter's reports)")]
        }
    }
}
