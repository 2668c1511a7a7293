import Testing
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects

@Suite struct RequestBuilderTests {
    @Test func completionsBodyAsksForUsageAndExactLength() throws {
        let options = RequestOptions(api: .completions, model: "m", continuousUsage: true, extraBody: try JSONValue.parse(#"{"top_k":1,"ignore_eos":false}"#))
        let body = RequestBuilder.body(prompt: .text("hi"), maxTokens: 32, options: options)
        #expect(body["prompt"]?.stringValue == "hi")
        #expect(body["max_tokens"]?.intValue == 32)
        #expect(body["stream"]?.boolValue == true)
        #expect(body["stream_options"]?["include_usage"]?.boolValue == true)
        #expect(body["stream_options"]?["continuous_usage_stats"]?.boolValue == true)
        #expect(body["top_k"]?.intValue == 1)
        #expect(body["ignore_eos"]?.boolValue == false)  // extra body wins
        #expect(body["min_tokens"] == nil)
    }

    @Test func chatBodyWrapsTextOrPassesMessages() throws {
        let options = RequestOptions(api: .chat, model: "m", stream: false, minTokens: true)
        let body = RequestBuilder.body(prompt: .text("hi"), maxTokens: 8, options: options)
        #expect(body["messages"]?[0]?["content"]?.stringValue == "hi")
        #expect(body["stream_options"] == nil)
        #expect(body["min_tokens"]?.intValue == 8)
        let messages = [JSONValue.object([("role", .string("system")), ("content", .string("s"))])]
        #expect(RequestBuilder.body(prompt: .messages(messages), maxTokens: 8, options: options)["messages"]?[0]?["role"]?.stringValue == "system")
    }

    @Test func requestCarriesHeadersAndPath() {
        let options = RequestOptions(api: .chat, model: "m", headers: [("Authorization", "Bearer k")])
        let request = RequestBuilder.request(prompt: .text("x"), maxTokens: 1, options: options,
                                             address: EndpointAddress(host: "127.0.0.1", port: 1, basePath: "/v1"))
        #expect(request.uri == "/v1/chat/completions")
        #expect(request.headers.contains { $0 == ("Authorization", "Bearer k") })
    }
}
