import Foundation
import TokenMeterCore

/// Reads a trace file (or a folder of per-conversation files) into what `bench --trace` replays. A broken line or an
/// impossible value is an error naming the file, the line and the field, before anything is sent.
public enum TraceReader {
    /// Reads a trace; `blockSize` overrides the format's (and a Weka file's own) block size.
    public static func read(path: String, format: TraceFormat, blockSize: Int? = nil, window: TraceWindow = TraceWindow(),
                            seed: UInt64 = 42) throws(ConfigError) -> Trace {
        let block = blockSize ?? format.defaultBlockSize
        guard (1...1_000_000).contains(block) else { throw ConfigError(field: "block-size", message: "must be 1…1000000 tokens, got \(block)") }
        var trace = switch format {
        case .mooncake: try mooncake(path, block: block, window: window)
        case .jsonl: try ownJSONL(path, block: block, window: window, seed: seed)
        case .burstgpt: try csv(path, format: format, window: window, seed: seed)
        case .azure: try csv(path, format: format, window: window, seed: seed)
        case .weka: try weka(path, block: blockSize, window: window, seed: seed)
        case .tracelab: try tracelab(path, window: window, seed: seed)
        }
        guard trace.requestCount > 0 else {
            throw ConfigError(field: "trace", message: "\(path) has no requests to replay in the window"
                + (trace.notes.isEmpty ? "" : " (\(trace.notes.joined(separator: "; ")))"))
        }
        if trace.reuse.requests == 0 { trace.reuse.requests = trace.requestCount }
        return trace
    }

    /// The error for a bad value: file, line, field and what is wrong.
    static func fail(_ path: String, _ line: Int, _ field: String, _ message: String) -> ConfigError {
        ConfigError(field: "trace", message: "\(path):\(line): \(field): \(message)")
    }

    /// The bytes of a file, or an error that says so.
    static func contents(_ path: String) throws(ConfigError) -> Data {
        guard let data = FileContents.read(path) else {
            throw ConfigError(field: "trace", message: "cannot read '\(path)'; check the path and permissions")
        }
        return data
    }

    /// Each non-empty line with its 1-based number.
    static func lines(_ data: Data) -> [(number: Int, text: String)] {
        var out: [(Int, String)] = []
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let text = String(decoding: line, as: UTF8.self).trimmingWhitespace
            if !text.isEmpty { out.append((number, text)) }
        }
        return out
    }

    /// A JSON line, or an error naming the line.
    static func json(_ text: String, _ path: String, _ line: Int) throws(ConfigError) -> JSONValue {
        do { return try JSONValue.parse(text) } catch { throw fail(path, line, "line", "not JSON (\(error))") }
    }

    /// A whole number field within a range.
    static func int(_ json: JSONValue, _ key: String, _ path: String, _ line: Int, _ range: ClosedRange<Int>,
                    default fallback: Int? = nil) throws(ConfigError) -> Int {
        guard let value = json[key] else {
            if let fallback { return fallback }
            throw fail(path, line, key, "missing")
        }
        guard let n = value.intValue, range.contains(n) else {
            throw fail(path, line, key, "\(value.serialized) is not a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    /// A number field (seconds), finite and not negative.
    static func seconds(_ json: JSONValue, _ key: String, _ path: String, _ line: Int, default fallback: Double? = nil) throws(ConfigError) -> Double {
        guard let value = json[key] else {
            if let fallback { return fallback }
            throw fail(path, line, key, "missing")
        }
        guard let v = value.doubleValue, v.isFinite, v >= 0 else { throw fail(path, line, key, "\(value.serialized) is not a time ≥ 0") }
        return v
    }

    /// Hash ids, each ≥ 0.
    static func ids(_ json: JSONValue, _ key: String, _ path: String, _ line: Int) throws(ConfigError) -> [Int]? {
        guard let value = json[key] else { return nil }
        guard case let .array(items) = value else { throw fail(path, line, key, "must be a list of whole numbers") }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let id = item.intValue, id >= 0 else { throw fail(path, line, key, "\(item.serialized) is not a hash id (a whole number ≥ 0)") }
            out.append(id)
        }
        return out
    }

    /// The prompt of `tokens` tokens over hash ids of `block`-token blocks: `ceil(tokens / block)` ids are required, so equal
    /// ids stand for equal text (a too-small block size would silently shorten prompts, so it is refused).
    static func blocks(_ ids: [Int], tokens: Int, block: Int, scope: UInt64, _ path: String, _ line: Int) throws(ConfigError) -> PromptShape {
        let expected = (tokens + block - 1) / block
        guard ids.count == expected else {
            throw fail(path, line, "hash_ids", "\(ids.count) ids for \(tokens) tokens in \(block)-token blocks (expected \(expected)); "
                + "check --block-size")
        }
        return .blocks(scope: scope, ids: ids, blockSize: block, tokens: tokens)
    }

    /// Requests in time order, moved into the window (times from its start) and cut to its request count.
    static func windowed(_ rows: [TraceRequest], _ window: TraceWindow, notes: inout [String]) -> [TraceRequest] {
        let sorted = rows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        guard let first = sorted.first?.time else { return [] }
        var kept: [TraceRequest] = []
        for var row in sorted where window.contains(row.time - first) {
            if let max = window.maxRequests, kept.count >= max { break }
            row.time -= first + window.offsetSeconds
            kept.append(row)
        }
        if kept.count < rows.count { notes.append("\(rows.count - kept.count) of \(rows.count) requests are outside the window") }
        return kept
    }

    /// A trace of requests, with its reuse measured over what is replayed.
    static func requestTrace(_ format: TraceFormat, _ path: String, block: Int, _ rows: [TraceRequest], window: TraceWindow,
                             notes: [String]) -> Trace {
        var notes = notes
        let kept = windowed(rows, window, notes: &notes)
        let reuse = TraceReuse(kept.map { (scope: UInt64(0), ids: $0.blockIDs, tokens: $0.prompt.tokens) }, blockSize: block)
        return Trace(format: format, path: path, blockSize: block, requests: kept, conversations: [], reuse: reuse, notes: notes)
    }

    /// Mooncake JSONL.
    static func mooncake(_ path: String, block: Int, window: TraceWindow) throws(ConfigError) -> Trace {
        var rows: [TraceRequest] = []
        for (line, text) in lines(try contents(path)) {
            let j = try json(text, path, line)
            let t = Double(try int(j, "timestamp", path, line, 0...Int(Int32.max) * 1000)) / 1000
            let input = try int(j, "input_length", path, line, 1...10_000_000)
            let output = try int(j, "output_length", path, line, 1...1_000_000)
            guard let ids = try ids(j, "hash_ids", path, line) else { throw fail(path, line, "hash_ids", "missing") }
            let prompt = try blocks(ids, tokens: input, block: block, scope: 0, path, line)
            rows.append(TraceRequest(time: t, prompt: prompt, outputTokens: output, blockIDs: ids))
        }
        return requestTrace(.mooncake, path, block: block, rows, window: window, notes: [])
    }
}
