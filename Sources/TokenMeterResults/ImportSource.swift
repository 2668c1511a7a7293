import TokenMeterCore

/// Where an imported run came from: the tool and version that measured it, the files, which tokenmeter metrics the tool did
/// not provide, and how the tool's metric names map onto tokenmeter's (vLLM's "ITL" is tokenmeter's chunk gap, AIPerf's
/// "inter_token_latency" is tokenmeter's TPOT).
public struct ImportSource: Codable, Sendable, Equatable {
    /// One metric the tool reported, under its own name.
    public struct Mapping: Codable, Sendable, Equatable {
        /// tokenmeter's metric (`ttft_ms`, `tpot_ms`, `chunk_gap_ms`, …).
        public var tokenmeter: String
        /// The tool's field, as the file names it.
        public var tool: String
        /// What differs in the definitions, when something does.
        public var note: String?

        /// Creates a mapping.
        public init(_ tokenmeter: String, _ tool: String, note: String? = nil) {
            self.tokenmeter = tokenmeter
            self.tool = tool
            self.note = note
        }
    }

    /// The tool that measured (`aiperf`, `guidellm`, `inference-perf`, `vllm`, `inferencex`, or the tool an llm-d report names).
    public var tool: String
    /// Its version, when the file says.
    public var toolVersion: String?
    /// The import format (`aiperf`, `llmd`, …) and, for a versioned schema, its version (`llmd 0.2`).
    public var format: String
    /// The files' names.
    public var files: [String]
    /// tokenmeter metrics the tool did not provide (unknown in the run, never zero).
    public var notProvided: [String]
    /// The tool's metric names against tokenmeter's.
    public var mapping: [Mapping]

    /// Creates a source.
    public init(tool: String, toolVersion: String?, format: String, files: [String], notProvided: [String], mapping: [Mapping]) {
        self.tool = tool
        self.toolVersion = toolVersion
        self.format = format
        self.files = files
        self.notProvided = notProvided
        self.mapping = mapping
    }

    /// One line for a terminal or a report: `AIPerf 0.13.0 (aiperf file profile_export_aiperf.json)`.
    public var summary: String {
        "\(tool)\(toolVersion.map { " \($0)" } ?? "") (\(format): \(files.joined(separator: ", ")))"
    }

    enum CodingKeys: String, CodingKey {
        case tool, toolVersion = "tool_version", format, files, notProvided = "not_provided", mapping
    }
}
