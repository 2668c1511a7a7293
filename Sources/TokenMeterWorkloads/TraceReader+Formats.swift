import Foundation
import TokenMeterCore

extension TraceReader {
    /// tokenmeter's own JSONL: `t` (seconds), `input_tokens`, `output_tokens`, optional `hash_ids` (`--block-size` tokens
    /// each), and optionally `session` with `think_s`: rows of a session replay one after another, each `think_s` after the
    /// previous one ended.
    static func ownJSONL(_ path: String, block: Int, window: TraceWindow, seed: UInt64) throws(ConfigError) -> Trace {
        let text = SyntheticText(seed: seed)
        var rows: [(session: String?, think: Double, request: TraceRequest)] = []
        for (line, source) in lines(try contents(path)) {
            let j = try json(source, path, line)
            let session: String? = j["session"].map { $0.stringValue ?? $0.serialized }
            let t = try seconds(j, "t", path, line, default: session == nil ? nil : 0)
            let input = try int(j, "input_tokens", path, line, 1...10_000_000)
            let output = try int(j, "output_tokens", path, line, 1...1_000_000)
            let hashIDs = try ids(j, "hash_ids", path, line) ?? []
            let prompt = hashIDs.isEmpty ? PromptShape.fresh(stream: text.stream(0xF5E5, UInt64(line)), tokens: input)
                : try blocks(hashIDs, tokens: input, block: block, scope: 0, path, line)
            rows.append((session, try seconds(j, "think_s", path, line, default: 0),
                         TraceRequest(time: t, prompt: prompt, outputTokens: output, blockIDs: hashIDs)))
        }
        let sessions = rows.filter { $0.session != nil }.count
        guard sessions == 0 || sessions == rows.count else {
            throw ConfigError(field: "trace", message: "\(path): \(sessions) of \(rows.count) rows name a session; name one on every row or on none")
        }
        guard sessions > 0 else { return requestTrace(.jsonl, path, block: block, rows.map(\.request), window: window, notes: []) }
        var order: [String] = []
        var grouped: [String: [(think: Double, request: TraceRequest)]] = [:]
        for row in rows {
            let key = row.session!
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append((row.think, row.request))
        }
        let conversations = order.map { key in
            let calls = grouped[key]!
            let steps = calls.enumerated().map { i, call in
                ConversationStep.recorded(RecordedCall(waitSeconds: i == 0 ? 0 : call.think, prompt: call.request.prompt,
                                                       outputTokens: call.request.outputTokens))
            }
            return TraceConversation(id: key, start: calls[0].request.time, steps: steps, requests: calls.count)
        }
        let requests = order.flatMap { grouped[$0]!.map { (scope: UInt64(0), ids: $0.request.blockIDs, tokens: $0.request.prompt.tokens) } }
        return conversationTrace(.jsonl, path, block: block, conversations, window: window,
                                 reuse: TraceReuse(requests, blockSize: block), notes: [])
    }

    /// Conversations in start order, moved into the window and cut to its request count (whole conversations only).
    static func conversationTrace(_ format: TraceFormat, _ path: String, block: Int, _ all: [TraceConversation], window: TraceWindow,
                                  reuse: TraceReuse, notes: [String]) -> Trace {
        var notes = notes
        let first = all.compactMap(\.start).min() ?? 0
        var kept: [TraceConversation] = []
        var requests = 0
        for var c in all {
            if let start = c.start {
                guard window.contains(start - first) else { continue }
                c.start = start - first - window.offsetSeconds
            }
            if let max = window.maxRequests, requests + c.requests > max, !kept.isEmpty { break }
            requests += c.requests
            kept.append(c)
        }
        if kept.count < all.count { notes.append("\(all.count - kept.count) of \(all.count) conversations are outside the window") }
        return Trace(format: format, path: path, blockSize: block, requests: [], conversations: kept, reuse: reuse, notes: notes)
    }

    /// BurstGPT or Azure CSV, columns found by name in the header.
    static func csv(_ path: String, format: TraceFormat, window: TraceWindow, seed: UInt64) throws(ConfigError) -> Trace {
        let text = SyntheticText(seed: seed)
        let all = lines(try contents(path))
        guard let (headerLine, header) = all.first else { throw ConfigError(field: "trace", message: "\(path) is empty") }
        let names = CSVLine.split(header)
        let wanted = format == .azure ? ["TIMESTAMP", "ContextTokens", "GeneratedTokens"] : ["Timestamp", "Request tokens", "Response tokens"]
        var columns: [Int] = []
        for name in wanted {
            guard let i = names.firstIndex(where: { $0.trimmingWhitespace == name }) else {
                throw fail(path, headerLine, "header", "no '\(name)' column (found: \(names.joined(separator: ", ")))")
            }
            columns.append(i)
        }
        var rows: [TraceRequest] = []
        var failed = 0
        var base: Int?
        for (line, source) in all.dropFirst() {
            let cells = CSVLine.split(source)
            guard cells.count > columns.max()! else { throw fail(path, line, "line", "\(cells.count) columns, the header has \(names.count)") }
            // Whole seconds apart from the fraction: seconds since 1970 in a Double would lose the microseconds.
            let (whole, fraction) = try csvTime(cells[columns[0]], format: format, path, line, field: wanted[0])
            let time = Double(whole - (base ?? whole)) + fraction
            if base == nil { base = whole }
            guard let input = Int(cells[columns[1]].trimmingWhitespace), input >= 0 else {
                throw fail(path, line, wanted[1], "'\(cells[columns[1]])' is not a token count")
            }
            guard let output = Int(cells[columns[2]].trimmingWhitespace), output >= 0 else {
                throw fail(path, line, wanted[2], "'\(cells[columns[2]])' is not a token count")
            }
            // A zero-token response is a request that failed in the recorded service; a zero-token prompt cannot be replayed.
            guard input > 0, output > 0 else {
                failed += 1
                continue
            }
            rows.append(TraceRequest(time: time, prompt: .fresh(stream: text.stream(0xC5F, UInt64(line)), tokens: input),
                                     outputTokens: output, blockIDs: []))
        }
        let notes = failed > 0 ? ["\(failed) rows with no prompt or no response tokens (failed in the recorded service) are left out"] : []
        return requestTrace(format, path, block: format.defaultBlockSize, rows, window: window, notes: notes)
    }

    /// A CSV time: BurstGPT's seconds, or Azure's `YYYY-MM-DD HH:MM:SS[.fffffff][+HH:MM]` as seconds since 1970.
    static func csvTime(_ cell: String, format: TraceFormat, _ path: String, _ line: Int, field: String) throws(ConfigError) -> (Int, Double) {
        let text = cell.trimmingWhitespace
        if format == .burstgpt {
            guard let t = Double(text), t.isFinite, t >= 0 else { throw fail(path, line, field, "'\(cell)' is not a time in seconds") }
            return (0, t)
        }
        guard let t = CivilTime.parts(text) else {
            throw fail(path, line, field, "'\(cell)' is not a time like 2023-11-16 18:17:03.9799600 or 2024-05-10 00:00:01.5+00:00")
        }
        return t
    }
}

/// Splits a CSV line into cells (double-quoted cells may hold commas and doubled quotes).
enum CSVLine {
    static func split(_ line: String) -> [String] {
        let chars = Array(line)
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted, c == "\"" {
                if i + 1 < chars.count, chars[i + 1] == "\"" {
                    cell.append("\"")
                    i += 1
                } else {
                    quoted = false
                }
            } else if quoted {
                cell.append(c)
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                cells.append(cell)
                cell = ""
            } else {
                cell.append(c)
            }
            i += 1
        }
        cells.append(cell)
        return cells
    }
}

/// Civil date-times as seconds since 1970-01-01 UTC (no time zone database needed).
enum CivilTime {
    /// `YYYY-MM-DD[ T]HH:MM:SS[.fraction][Z|±HH:MM]`.
    static func seconds(_ text: String) -> Double? { parts(text).map { Double($0.0) + $0.1 } }

    /// The whole seconds and the fraction apart.
    static func parts(_ text: String) -> (Int, Double)? {
        let s = Array(text.utf8)
        guard s.count >= 19, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"), s[10] == UInt8(ascii: " ") || s[10] == UInt8(ascii: "T"),
              s[13] == UInt8(ascii: ":"), s[16] == UInt8(ascii: ":"),
              let year = number(s[0..<4]), let month = number(s[5..<7]), let day = number(s[8..<10]),
              let hour = number(s[11..<13]), let minute = number(s[14..<16]), let second = number(s[17..<19]),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            var scale = 0.1
            i += 1
            while i < s.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(s[i]) {
                fraction += Double(s[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < s.count {
            if s[i] == UInt8(ascii: "Z"), i == s.count - 1 {
                offset = 0
            } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-"), s.count - i == 6, s[i + 3] == UInt8(ascii: ":"),
                      let h = number(s[(i + 1)..<(i + 3)]), let m = number(s[(i + 4)..<(i + 6)]) {
                offset = (h * 3600 + m * 60) * (s[i] == UInt8(ascii: "-") ? -1 : 1)
            } else {
                return nil
            }
        }
        let days = daysFromCivil(year, month, day)
        return (days * 86400 + hour * 3600 + minute * 60 + second - offset, fraction)
    }

    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var n = 0
        for d in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d) else { return nil }
            n = n * 10 + Int(d - UInt8(ascii: "0"))
        }
        return n
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
