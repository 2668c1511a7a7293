/// What a provider or engine needs that its dialect alone does not say: its dialect, where it lives, the environment
/// variable its key is usually in, and its quirks (PROTOCOLS.md §1.1, §1.4, §4.1). Flags override every field.
public struct ProviderPreset: Sendable, Equatable {
    /// The preset's name (`--provider`).
    public var name: String
    /// Its usual dialect.
    public var api: APIKind
    /// Its base URL, for hosted APIs (engines run wherever the user runs them).
    public var url: String?
    /// The environment variable its key is conventionally kept in.
    public var keyVariable: String?
    /// Whether it accepts the engine hints `ignore_eos` and `min_tokens` (hosted APIs reject unknown fields).
    public var engineHints: Bool
    /// Which field carries a chat request's output length.
    public var maxTokensField: MaxTokensField
    /// Whether it accepts `stream_options.include_usage`.
    public var streamOptions: Bool
    /// Whether it accepts `stream_options.continuous_usage_stats` (usage on every chunk).
    public var continuousUsage: Bool
    /// Where it streams chat reasoning (clients read both; documented here for the reader).
    public var reasoningField: String?

    /// Every preset, by name.
    public static let all: [ProviderPreset] = [
        ProviderPreset(name: "openai", api: .chat, url: "https://api.openai.com/v1", keyVariable: "OPENAI_API_KEY", engineHints: false,
                       maxTokensField: .maxCompletionTokens, streamOptions: true, continuousUsage: false, reasoningField: nil),
        ProviderPreset(name: "anthropic", api: .anthropic, url: "https://api.anthropic.com", keyVariable: "ANTHROPIC_API_KEY", engineHints: false,
                       maxTokensField: .maxTokens, streamOptions: false, continuousUsage: false, reasoningField: nil),
        ProviderPreset(name: "deepseek", api: .chat, url: "https://api.deepseek.com", keyVariable: "DEEPSEEK_API_KEY", engineHints: false,
                       maxTokensField: .maxTokens, streamOptions: true, continuousUsage: false, reasoningField: "reasoning_content"),
        ProviderPreset(name: "vllm", api: .chat, url: nil, keyVariable: nil, engineHints: true, maxTokensField: .both, streamOptions: true,
                       continuousUsage: true, reasoningField: "reasoning"),
        ProviderPreset(name: "sglang", api: .chat, url: nil, keyVariable: nil, engineHints: true, maxTokensField: .both, streamOptions: true,
                       continuousUsage: true, reasoningField: "reasoning_content"),
        ProviderPreset(name: "llama.cpp", api: .chat, url: nil, keyVariable: nil, engineHints: true, maxTokensField: .maxTokens, streamOptions: true,
                       continuousUsage: false, reasoningField: "reasoning_content"),
        ProviderPreset(name: "ollama", api: .chat, url: "http://127.0.0.1:11434/v1", keyVariable: nil, engineHints: false, maxTokensField: .maxTokens,
                       streamOptions: true, continuousUsage: false, reasoningField: "reasoning"),
        ProviderPreset(name: "tokenmeter", api: .completions, url: nil, keyVariable: nil, engineHints: true, maxTokensField: .both,
                       streamOptions: true, continuousUsage: true, reasoningField: "reasoning_content"),
    ]

    /// The preset called `name`.
    public static func named(_ name: String) -> ProviderPreset? { all.first { $0.name == name.lowercased() } }
}
