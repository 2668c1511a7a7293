import Foundation
import Testing
import TokenMeterCore
import TokenMeterWorkloads

@Suite struct TraceReaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A file with these lines, in a fresh folder.
    static func file(_ name: String, _ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tm-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func mooncakeRowsKeepTheirTimesLengthsAndBlocks() throws {
        let trace = try TraceReader.read(path: Self.path("mooncake.jsonl"), format: .mooncake)
        #expect(trace.blockSize == 512 && !trace.hasSessions)
        #expect(trace.requests.map(\.time) == [0, 0, 1, 3])
        #expect(trace.requests.map(\.prompt.tokens) == [1200, 1800, 600, 1024])
        #expect(trace.requests.map(\.outputTokens) == [10, 12, 8, 5])
        // WORKLOADS.md §2.1's worked example, extended by two rows: 4 of 11 block references are repeats; token-weighted
        // (0 + 512 + 512 + 1024) / 4624; per request (0 + 512/1800 + 512/600 + 1) / 4.
        #expect(trace.reuse.uniqueBlocks == 7)
        #expect(abs(trace.reuse.blockReuse! - 4.0 / 11) < 1e-12)
        #expect(abs(trace.reuse.tokenReuse! - 2048.0 / 4624) < 1e-12)
        #expect(abs(trace.reuse.requestReuse! - (512.0 / 1800 + 512.0 / 600 + 1) / 4) < 1e-12)
    }

    @Test func aWindowSkipsCutsAndRebasesTime() throws {
        let late = try TraceReader.read(path: Self.path("mooncake.jsonl"), format: .mooncake, window: TraceWindow(offsetSeconds: 1))
        #expect(late.requests.map(\.time) == [0, 2])
        #expect(late.notes.contains { $0.contains("2 of 4 requests are outside the window") })
        let first = try TraceReader.read(path: Self.path("mooncake.jsonl"), format: .mooncake, window: TraceWindow(durationSeconds: 1))
        #expect(first.requests.count == 2)
        let capped = try TraceReader.read(path: Self.path("mooncake.jsonl"), format: .mooncake, window: TraceWindow(maxRequests: 3))
        #expect(capped.requests.count == 3)
    }

    @Test func burstGPTLeavesOutFailedRowsAndSaysSo() throws {
        let trace = try TraceReader.read(path: Self.path("burstgpt.csv"), format: .burstgpt)
        #expect(trace.requests.map(\.time) == [0, 113, 135])
        #expect(trace.requests.map(\.prompt.tokens) == [472, 417, 1360])
        #expect(trace.requests.map(\.outputTokens) == [18, 276, 345])
        #expect(trace.notes.contains { $0.hasPrefix("2 rows") })
        #expect(trace.reuse.blockReuse == nil, "BurstGPT has no prefix identity: no sharing is invented")
    }

    @Test func azureTimestampsOfBothYearsParse() throws {
        let y2023 = try TraceReader.read(path: Self.path("azure2023.csv"), format: .azure)
        #expect(y2023.requests.count == 3)
        #expect(abs(y2023.requests[1].time - 4.314579) < 1e-6 && abs(y2023.requests[2].time - 4.523941) < 1e-6)
        let y2024 = try TraceReader.read(path: Self.path("azure2024.csv"), format: .azure)
        #expect(y2024.requests.map(\.time) == [0, 0.251, 2.5])
        #expect(y2024.requests.map(\.prompt.tokens) == [2048, 1200, 640])
    }

    @Test func ourJSONLWithSessionsReplaysEachSessionInOrder() throws {
        let trace = try TraceReader.read(path: Self.path("sessions.jsonl"), format: .jsonl)
        #expect(trace.conversations.map(\.id) == ["a", "b"])
        #expect(trace.conversations.map(\.start) == [0, 0.5])
        guard case let .recorded(second) = trace.conversations[0].steps[1] else { Issue.record("a recorded call"); return }
        #expect(second.waitSeconds == 1.5 && second.prompt.tokens == 60 && second.outputTokens == 8)
        #expect(trace.reuse.blockReuse == 3.0 / 7)
    }

    @Test func wekaConversationsRunTheirSubagentsInParallel() throws {
        let trace = try TraceReader.read(path: Self.path("weka"), format: .weka)
        #expect(trace.conversations.map(\.id) == ["conv-1", "conv-2"])
        #expect(trace.conversations.map(\.requests) == [5, 1] && trace.requestCount == 6)
        let steps = trace.conversations[0].steps
        #expect(steps.count == 3)
        guard case let .parallel(branches) = steps[1], case let .recorded(last) = steps[2] else { Issue.record("call, subagents, call"); return }
        #expect(branches.map(\.count) == [1, 2])
        #expect(last.waitSeconds == 1.25 && last.prompt.tokens == 200 && last.stream == true)
        let text = SyntheticText(seed: 42)
        guard case let .recorded(first) = steps[0], case let .recorded(sub) = branches[1][1] else { Issue.record("recorded calls"); return }
        let (a, b) = (text.prompt(first.prompt).split(separator: " "), text.prompt(sub.prompt).split(separator: " "))
        #expect(a.count == 150 && b.count == 140)
        #expect(a.prefix(64) == b.prefix(64), "hash id 1 is the same block for the parent and its subagent")
        #expect(a[64..<128] != b[64..<128])
        guard case let .recorded(other) = trace.conversations[1].steps[0] else { Issue.record("a recorded call"); return }
        #expect(text.prompt(other.prompt).split(separator: " ").prefix(64) != a.prefix(64), "local ids are scoped per conversation")
    }

    @Test func traceLabRoundsReuseTheirRecordedPrefix() throws {
        let trace = try TraceReader.read(path: Self.path("tracelab.jsonl"), format: .tracelab)
        #expect(trace.conversations.map(\.id) == ["claude:s1", "codex:s2"])
        #expect(trace.conversations.map(\.start) == [0, 60])
        guard case let .recorded(r0) = trace.conversations[0].steps[0], case let .recorded(r1) = trace.conversations[0].steps[1] else {
            Issue.record("two recorded rounds")
            return
        }
        #expect(r1.waitSeconds == 2.5)
        let text = SyntheticText(seed: 42)
        let (p0, p1) = (text.prompt(r0.prompt).split(separator: " "), text.prompt(r1.prompt).split(separator: " "))
        #expect(p0.count == 300 && p1.count == 350 && p1.prefix(300) == p0.prefix(300))
        #expect(abs(trace.reuse.recordedCachedShare! - 320.0 / 750) < 1e-12)
    }

    @Test(arguments: [
        ("mooncake", "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n{\"timestamp\": 1, \"input_length\": 1200, \"output_length\": 1, \"hash_ids\": [0]}\n", ":2: hash_ids"),
        ("mooncake", "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n{\"timestamp\": 1, \"input_len", ":2: line"),
        ("mooncake", "{\"timestamp\": -4, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n", ":1: timestamp"),
        ("mooncake", "{\"timestamp\": 0, \"input_length\": 0, \"output_length\": 1, \"hash_ids\": []}\n", ":1: input_length"),
        ("burstgpt", "Timestamp,Request tokens,Response tokens\n1,20,3\n2,x,3\n", ":3: Request tokens"),
        ("azure", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-01 00:00:00,3,4\n", ":2: TIMESTAMP"),
        ("azure", "Time,Context\n", ":1: header"),
        ("jsonl", "{\"t\": 0, \"input_tokens\": 5}\n", ":1: output_tokens"),
        ("tracelab", "{\"session_id\": \"s\", \"round_index\": 0, \"input_tokens_total\": 10, \"prefix_tokens\": 4, \"newly_append_tokens\": 4, \"output_tokens\": 1}\n", ":1: input_tokens_total"),
    ])
    func aBrokenLineNamesTheFileLineAndField(_ format: String, _ text: String, _ expected: String) throws {
        let path = try Self.file("trace.\(format)", text)
        let error = try #require(throws: ConfigError.self) { try TraceReader.read(path: path, format: TraceFormat(rawValue: format)!) }
        #expect(error.field == "trace")
        #expect(error.message.hasPrefix(path + expected), "\(error.message)")
    }

    /// From `scripts/fuzz workloads` (its first finding, kept in fuzz/corpus/workloads/regression-*): an empty file read
    /// through FoundationEssentials leaked its read buffer. Every reader now reads through `FileContents`; an empty file
    /// is a clear error in every trace format, an empty program or dataset too.
    @Test(arguments: TraceFormat.allCases)
    func anEmptyFileIsAClearError(_ format: TraceFormat) throws {
        let path = try Self.file("empty.\(format.rawValue)", "")
        let error = try #require(throws: ConfigError.self) { try TraceReader.read(path: path, format: format) }
        #expect(error.field == "trace" && error.message.contains(path), "\(error.message)")
        #expect(FileContents.read(path) == Data())
        #expect(FileContents.read(path + ".missing") == nil)
        #expect(throws: (any Error).self) { try DatasetReader.read(path: path) }
        #expect(throws: ConfigError.self) { try ConversationProgram.named(path) }
    }
}
