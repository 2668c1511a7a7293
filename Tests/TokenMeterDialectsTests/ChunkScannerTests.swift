import Testing
import TokenMeterCore
import TokenMeterDialects

@Suite struct ChunkScannerTests {
    /// The slow path: the same fields read from a full JSON tree.
    func reference(_ text: String) throws -> ChunkFields {
        let json = try JSONValue.parse(text)
        var f = ChunkFields()
        if let choice = json["choices"]?[0] {
            f.content = (choice["text"]?.stringValue ?? "") + (choice["delta"]?["content"]?.stringValue ?? "")
            f.reasoning = choice["delta"]?["reasoning_content"]?.stringValue ?? choice["delta"]?["reasoning"]?.stringValue ?? ""
            f.finishReason = choice["finish_reason"]?.stringValue
        }
        if let u = json["usage"], let p = u["prompt_tokens"]?.intValue, let c = u["completion_tokens"]?.intValue {
            f.usage = Usage(promptTokens: p, completionTokens: c, reasoningTokens: u["completion_tokens_details"]?["reasoning_tokens"]?.intValue,
                            cachedPromptTokens: u["prompt_tokens_details"]?["cached_tokens"]?.intValue)
        }
        if let e = json["error"], !e.isNull {
            let name = e["type"]?.stringValue ?? e["code"]?.stringValue
            let kind: ErrorKind = name?.contains("rate_limit") == true || e["code"]?.intValue == 429 ? .rateLimited
                : name?.contains("overloaded") == true || e["code"]?.intValue == 529 ? .overloaded : .serverError
            f.failure = RequestFailure(kind: kind, message: e["message"]?.stringValue ?? e.stringValue ?? e.serialized)
        }
        if json["object"]?.stringValue == "error", f.failure == nil {
            f.failure = RequestFailure(kind: json["code"]?.intValue == 429 ? .rateLimited : .serverError, message: json["message"]?.stringValue ?? "error object")
        }
        if let calls = json["choices"]?[0]?["delta"]?["tool_calls"], case let .array(items) = calls {
            f.toolArguments = items.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
        }
        return f
    }

    static let chunks = [
        #"{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" hi \"x\" \u00e9","logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":{"content":[{"token":"a","bytes":[1,2]}]}}]}"#,
        #"{"choices":[{"delta":{"reasoning_content":"think","tool_calls":[{"id":"t","function":{"arguments":"{}"}}]},"finish_reason":"stop"}]}"#,
        #"{"choices":[{"delta":{"reasoning":"r"}}, {"delta":{"content":"second choice ignored"}}]}"#,
        #"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}"#,
        #"{"choices":[{"text":"a"}],"usage":null}"#,
        #"{"error":{"message":"boom","type":"server_error","code":500}}"#,
        #"{"error":"plain"}"#,
        #"{"error":{"message":"slow down","type":"rate_limit_error"}}"#,
        #"{"error":{"message":"busy","code":529}}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}},{"index":1,"function":{"name":"f","arguments":"\"Oslo\"}"}}]}}]}"#,
        #"{"object":"error","message":"vllm style","code":400}"#,
        #"{"choices":[{"text":"x","finish_reason":null}],"usage":{"prompt_tokens":1.5,"completion_tokens":2}}"#,
        #"{}"#,
        #"  {"choices" : [ { "text" : "spaced" } ] }  "#,
    ]

    @Test(arguments: chunks)
    func agreesWithTheFullParser(_ text: String) throws {
        #expect(try ChunkScanner.scan(Array(text.utf8)) == reference(text))
    }

    @Test(arguments: ["{", #"{"choices":[{"text":"a"}]"#, #"{"choices":[{"text":"a"}]} x"#, #"{"a":tru}"#, #"[1]"#, #"{"usage":{"prompt_tokens":}}"#])
    func rejectsInvalidChunks(_ text: String) {
        #expect(throws: JSONParseError.self) { try ChunkScanner.scan(Array(text.utf8)) }
    }
}
