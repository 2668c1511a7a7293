import Testing
import TokenMeterCore
import TokenMeterDialects
import TokenMeterHTTP

/// Requests as each dialect wants them: bodies, routes, headers, history, and the retry rule.
@Suite struct DialectRequestTests {
    let address = EndpointAddress(host: "127.0.0.1", port: 8000, basePath: "/v1")
    let conversation: PromptContent = .messages([
        .object([("role", .string("system")), ("content", .string("be brief"))]),
        .object([("role", .string("user")), ("content", .string("hi"))]),
    ])

    func body(_ api: APIKind, _ options: (inout RequestOptions) -> Void = { _ in }) throws -> JSONValue {
        var o = RequestOptions(api: api, model: "m", ignoreEOS: false)
        options(&o)
        return try JSONValue.parse(RequestBuilder.request(prompt: conversation, maxTokens: 8, options: o, address: address).body)
    }

    @Test func anthropicBody() throws {
        let b = try body(.anthropic)
        #expect(b["system"]?.stringValue == "be brief")
        #expect(b["messages"]?.arrayValue?.count == 1 && b["messages"]?[0]?["role"]?.stringValue == "user")
        #expect(b["max_tokens"]?.intValue == 8 && b["stream"]?.boolValue == true && b["stream_options"] == nil)
        let cached = try body(.anthropic) { $0.cacheTTL = "1h" }
        #expect(cached["system"]?[0]?["cache_control"]?["ttl"]?.stringValue == "1h")
        #expect(cached["messages"]?[0]?["content"]?[0]?["cache_control"]?["type"]?.stringValue == "ephemeral")
        let request = RequestBuilder.request(prompt: .text("x"), maxTokens: 1, options: RequestOptions(api: .anthropic, model: "m"), address: address)
        #expect(request.uri == "/v1/messages")
        #expect(request.headers.contains { $0 == ("anthropic-version", "2023-06-01") })
        #expect(RequestBuilder.authorization(key: "k", api: .anthropic) == ("x-api-key", "k"))
        #expect(RequestBuilder.authorization(key: "k", api: .responses) == ("Authorization", "Bearer k"))
    }

    @Test func responsesAndEmbeddingsBodies() throws {
        let r = try body(.responses) { $0.chainResponses = true }
        #expect(r["instructions"]?.stringValue == "be brief")
        #expect(r["input"]?[0]?["content"]?.stringValue == "hi")
        #expect(r["max_output_tokens"]?.intValue == 8 && r["max_tokens"] == nil && r["store"]?.boolValue == true)
        let e = try body(.embeddings)
        #expect(e["input"]?.stringValue == "be brief\nhi" && e["stream"] == nil && e["max_tokens"] == nil)
        #expect(!RequestOptions(api: .embeddings, model: "m", stream: true).stream, "embeddings never stream")
        let chat = try body(.chat) { $0.maxTokensField = .maxCompletionTokens; $0.streamOptions = false }
        #expect(chat["max_tokens"] == nil && chat["max_completion_tokens"]?.intValue == 8 && chat["stream_options"] == nil)
    }

    @Test func routesWithAndWithoutV1() throws {
        for url in ["http://h:1", "http://h:1/v1", "http://h:1/v1/"] {
            let a = try EndpointAddress(parsing: url)
            #expect(a.path("chat/completions") == "/v1/chat/completions", "\(url)")
            #expect(a.path("messages", versionedBelow: true) == "/v1/messages", "\(url)")
        }
        let deepseek = try EndpointAddress(parsing: "https://api.deepseek.com/anthropic")
        #expect(deepseek.path("messages", versionedBelow: true) == "/anthropic/v1/messages")
        #expect(try EndpointAddress(parsing: "http://h:1/openai").path("chat/completions") == "/openai/chat/completions")
        var o = RequestOptions(api: .chat, model: "m")
        o.path = "/v1beta/openai/chat/completions"
        #expect(RequestBuilder.request(prompt: .text("x"), maxTokens: 1, options: o, address: address).uri == "/v1beta/openai/chat/completions")
    }

    func history(_ count: Int) -> [HistoryMessage] {
        [HistoryMessage(id: 0, role: "system", text: "sys")] + (1..<count).map { HistoryMessage(id: UInt64($0), role: $0 % 2 == 1 ? "user" : "assistant", text: "t\($0)") }
    }

    @Test func historyInEveryMessageDialect() throws {
        for api in [APIKind.chat, .anthropic, .responses] {
            var encoder = HistoryEncoder(options: RequestOptions(api: api, model: "m"), address: address)
            let body = try JSONValue.parse(encoder.request(history(4), maxTokens: 5).body)
            let list = body[api == .responses ? "input" : "messages"]?.arrayValue ?? []
            #expect(list.count == (api == .chat ? 4 : 3), "\(api)")
            #expect(list.last?["content"]?.stringValue == "t3", "\(api)")
            if api == .anthropic { #expect(body["system"]?.stringValue == "sys") }
            if api == .responses { #expect(body["instructions"]?.stringValue == "sys") }
        }
    }

    @Test func chainedResponsesSendOnlyTheNewTurn() throws {
        var encoder = HistoryEncoder(options: RequestOptions(api: .responses, model: "m", chainResponses: true), address: address)
        let first = history(2)  // sys, user
        _ = encoder.request(first, maxTokens: 5)
        encoder.answered(first, responseID: "resp_1")
        let second = try JSONValue.parse(encoder.request(history(4), maxTokens: 5).body)  // + assistant answer, new user turn
        #expect(second["previous_response_id"]?.stringValue == "resp_1")
        #expect(second["input"]?.arrayValue?.map { $0["content"]?.stringValue ?? "" } == ["t3"])
        #expect(second["instructions"]?.stringValue == "sys", "instructions are not carried over by previous_response_id")
        var stateless = HistoryEncoder(options: RequestOptions(api: .responses, model: "m"), address: address)
        stateless.answered(first, responseID: "resp_1")
        #expect(try JSONValue.parse(stateless.request(history(4), maxTokens: 5).body)["previous_response_id"] == nil)
    }

    @Test func retryPolicyHonoursTheServer() {
        let policy = RetryPolicy(maxRetries: 2, maxWaitSeconds: 10)
        func answer(_ status: Int, _ headers: [(String, String)] = []) -> RawResponse {
            var r = RawResponse()
            r.status = status
            r.rateLimitHeaders = headers
            return r
        }
        #expect(policy.delay(after: answer(429, [("retry-after", "3")]), attempt: 1, jitter: 0) == 3_000_000_000)
        #expect(policy.delay(after: answer(429, [("retry-after-ms", "250"), ("retry-after", "3")]), attempt: 1, jitter: 0) == 250_000_000)
        #expect(policy.delay(after: answer(429, [("retry-after", "30")]), attempt: 1, jitter: 0) == nil, "longer than the cap: not waited for")
        #expect(policy.delay(after: answer(529), attempt: 2, jitter: 0) == 1_000_000_000, "backoff 0.5 s × 2")
        #expect(policy.delay(after: answer(529), attempt: 2, jitter: 1) == 750_000_000, "jitter takes up to a quarter")
        #expect(policy.delay(after: answer(529), attempt: 3, jitter: 0) == nil, "two retries at most")
        #expect(policy.delay(after: answer(400), attempt: 1, jitter: 0) == nil)
        #expect(policy.delay(after: answer(400, [("x-should-retry", "true")]), attempt: 1, jitter: 0) != nil)
        #expect(policy.delay(after: answer(429, [("x-should-retry", "false")]), attempt: 1, jitter: 0) == nil)
        #expect(policy.delay(after: answer(200), attempt: 1, jitter: 0) == nil)
    }
}
