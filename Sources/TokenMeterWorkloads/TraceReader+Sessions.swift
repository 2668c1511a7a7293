import Foundation
import TokenMeterCore

extension TraceReader {
    /// The Weka/SemiAnalysis agentic coding traces: one JSON conversation per file, or a folder of them (in name order).
    /// Each `s`/`n` request replays after the one before it ended plus its recorded `think_time`; consecutive subagents run
    /// in parallel and the parent goes on when they all end. Hash ids are scoped per conversation unless the file says
    /// `hash_id_scope: global`.
    static func weka(_ path: String, block override: Int?, window: TraceWindow, seed: UInt64) throws(ConfigError) -> Trace {
        let text = SyntheticText(seed: seed)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ConfigError(field: "trace", message: "cannot read '\(path)'; check the path")
        }
        let files: [String]
        if isFolder.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".json") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            guard !files.isEmpty else { throw ConfigError(field: "trace", message: "\(path) holds no .json conversation files") }
        } else {
            files = [path]
        }
        var conversations: [TraceConversation] = []
        var reuseInput: [(scope: UInt64, ids: [Int], tokens: Int)] = []
        var block = override ?? TraceFormat.weka.defaultBlockSize
        for file in files {
            let data = try contents(file)
            let root: JSONValue
            do { root = try JSONValue.parse(Array(data)) } catch { throw fail(file, 1, "file", "not JSON (\(error))") }
            if override == nil, let size = root["block_size"] {
                guard let b = size.intValue, b >= 1 else { throw fail(file, 1, "block_size", "\(size.serialized) is not a block size") }
                block = b
            }
            let id = root["id"]?.stringValue ?? (file as NSString).lastPathComponent
            let scope = root["hash_id_scope"]?.stringValue == "global" ? 0 : SyntheticText.mix(UInt64(truncatingIfNeeded: id.hashValueStable))
            guard case let .array(requests)? = root["requests"] else { throw fail(file, 1, "requests", "missing, or not a list") }
            var count = 0
            let steps = try wekaSteps(requests, file: file, field: "requests", block: block, scope: scope, text: text, count: &count, reuse: &reuseInput)
            guard count > 0 else { continue }
            conversations.append(TraceConversation(id: id, start: nil, steps: steps, requests: count))
        }
        return conversationTrace(.weka, path, block: block, conversations, window: window,
                                 reuse: TraceReuse(reuseInput, blockSize: block), notes: [])
    }

    /// The steps of a Weka request list: recorded calls, and each run of consecutive subagents as one parallel step.
    static func wekaSteps(_ requests: [JSONValue], file: String, field: String, block: Int, scope: UInt64, text: SyntheticText, count: inout Int,
                          reuse: inout [(scope: UInt64, ids: [Int], tokens: Int)]) throws(ConfigError) -> [ConversationStep] {
        var steps: [ConversationStep] = []
        var subagents: [[ConversationStep]] = []
        for (i, r) in requests.enumerated() {
            let here = "\(field)[\(i)]"
            let type = r["type"]?.stringValue ?? ""
            if type == "subagent" {
                guard case let .array(inner)? = r["requests"] else { throw fail(file, 1, "\(here).requests", "missing, or not a list") }
                subagents.append(try wekaSteps(inner, file: file, field: "\(here).requests", block: block, scope: scope, text: text, count: &count,
                                               reuse: &reuse))
                continue
            }
            if !subagents.isEmpty {
                steps.append(.parallel(subagents))
                subagents = []
            }
            guard type == "s" || type == "n" else { throw fail(file, 1, "\(here).type", "'\(type)' is not s, n or subagent") }
            let input = try int(r, "in", file, 1, 1...50_000_000)
            let output = try int(r, "out", file, 1, 0...10_000_000)
            let ids = try self.ids(r, "hash_ids", file, 1) ?? []
            // The spec drops a trailing partial block's id; files that keep it are read too.
            guard ids.count == input / block || ids.count == (input + block - 1) / block else {
                throw fail(file, 1, "\(here).hash_ids", "\(ids.count) ids of \(block) tokens do not cover \(input) tokens; check --block-size")
            }
            steps.append(.recorded(RecordedCall(waitSeconds: try seconds(r, "think_time", file, 1, default: 0),
                                                prompt: wekaPrompt(ids, tokens: input, block: block, scope: scope, text: text),
                                                outputTokens: max(1, output), stream: type == "s")))
            reuse.append((scope, ids, input))
            count += 1
        }
        if !subagents.isEmpty { steps.append(.parallel(subagents)) }
        return steps
    }

    /// Blocks for the ids (the last one partial when they reach past the prompt), then fresh words for any tokens after them.
    static func wekaPrompt(_ ids: [Int], tokens: Int, block: Int, scope: UInt64, text: SyntheticText) -> PromptShape {
        var segments: [TextSegment] = []
        var covered = 0
        for id in ids where covered < tokens {
            let length = min(block, tokens - covered)
            segments.append(TextSegment(stream: text.blockStream(scope: scope, id: id), start: 0, count: length))
            covered += length
        }
        if covered < tokens {
            segments.append(TextSegment(stream: SyntheticText.mix(scope ^ 0x7A11 ^ UInt64(ids.last ?? 0) &* 31 ^ UInt64(tokens)), start: 0,
                                        count: tokens - covered))
        }
        return .segments(segments)
    }

    /// TraceLab JSONL: one LLM round per line, grouped by `session_id` and ordered by `round_index`. Each round's prompt is
    /// the first `prefix_tokens` of the session's previous context followed by `newly_append_tokens` new ones; a round
    /// replays after the previous one's end plus the recorded gap between them (from `timing_events`).
    static func tracelab(_ path: String, window: TraceWindow, seed: UInt64) throws(ConfigError) -> Trace {
        var rounds: [String: [(index: Int, line: Int, row: JSONValue)]] = [:]
        for (line, text) in lines(try contents(path)) {
            let j = try json(text, path, line)
            guard let session = j["session_id"]?.stringValue else { throw fail(path, line, "session_id", "missing") }
            rounds[session, default: []].append((try int(j, "round_index", path, line, 0...10_000_000), line, j))
        }
        var conversations: [TraceConversation] = []
        var prefix = 0, input = 0
        for (session, list) in rounds {
            let scope = SyntheticText.mix(seed ^ UInt64(truncatingIfNeeded: session.hashValueStable))
            var context: [TextSegment] = []
            var steps: [ConversationStep] = []
            var previousEnd: Double?
            var start: Double?
            for (k, round) in list.sorted(by: { $0.index < $1.index }).enumerated() {
                let (line, j) = (round.line, round.row)
                let total = try int(j, "input_tokens_total", path, line, 1...50_000_000)
                let cached = try int(j, "prefix_tokens", path, line, 0...total, default: 0)
                let appended = try int(j, "newly_append_tokens", path, line, 0...total, default: total - cached)
                guard cached + appended == total else {
                    throw fail(path, line, "input_tokens_total", "\(total) is not prefix_tokens \(cached) + newly_append_tokens \(appended)")
                }
                let output = try int(j, "output_tokens", path, line, 0...10_000_000)
                let (first, last) = try eventSpan(j, path, line)
                if start == nil { start = first }
                let wait = k == 0 ? 0 : max(0, (first ?? 0) - (previousEnd ?? first ?? 0))
                previousEnd = last ?? previousEnd
                var prompt = take(context, cached)
                let taken = prompt.reduce(0) { $0 + $1.count }
                prompt.append(TextSegment(stream: SyntheticText.mix(scope ^ UInt64(k) &* 0x51ED), start: 0, count: total - taken))
                steps.append(.recorded(RecordedCall(waitSeconds: wait, prompt: .segments(prompt), outputTokens: max(1, output))))
                context = prompt + [TextSegment(stream: SyntheticText.mix(scope ^ UInt64(k) &* 0x0F7 ^ 1), start: 0, count: output)]
                prefix += cached
                input += total
            }
            conversations.append(TraceConversation(id: session, start: start, steps: steps, requests: steps.count))
        }
        conversations.sort { ($0.start ?? 0, $0.id) < ($1.start ?? 0, $1.id) }
        var reuse = TraceReuse()
        reuse.recordedCachedShare = input > 0 ? Double(prefix) / Double(input) : nil
        return conversationTrace(.tracelab, path, block: TraceFormat.tracelab.defaultBlockSize, conversations, window: window, reuse: reuse, notes: [])
    }

    /// The first and last event times of a round (seconds since 1970), from `timing_events` entries' `timestamp`/`time`.
    static func eventSpan(_ j: JSONValue, _ path: String, _ line: Int) throws(ConfigError) -> (Double?, Double?) {
        guard case let .array(events)? = j["timing_events"] else { return (nil, nil) }
        var times: [Double] = []
        for (i, event) in events.enumerated() {
            guard let written = event["timestamp"]?.stringValue ?? event["time"]?.stringValue ?? event["ts"]?.stringValue else { continue }
            guard let t = CivilTime.seconds(written) else {
                throw fail(path, line, "timing_events[\(i)].timestamp", "'\(written)' is not an ISO-8601 time")
            }
            times.append(t)
        }
        return (times.min(), times.max())
    }

    /// The first `tokens` words of a run of segments.
    static func take(_ segments: [TextSegment], _ tokens: Int) -> [TextSegment] {
        var out: [TextSegment] = []
        var left = tokens
        for s in segments where left > 0 {
            out.append(TextSegment(stream: s.stream, start: s.start, count: min(s.count, left)))
            left -= min(s.count, left)
        }
        return out
    }
}

extension String {
    /// A hash of the text that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h)
    }
}
