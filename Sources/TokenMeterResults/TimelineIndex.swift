import Foundation
import TokenMeterCore

extension TimelineRequestLine {
    /// How a request line ends (keys are written sorted, so `type` comes last).
    static let suffix = Array(#""type":"request"}"#.utf8)

    /// True when a line is a request line, told by its last field before anything is decoded.
    static func isRequest(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.count > suffix.count && UnsafeBufferPointer(rebasing: line[(line.count - suffix.count)...]).elementsEqual(suffix)
    }

    /// Reads a request line: the hand-written reader for the shape tokenmeter writes, JSONDecoder for any other (which
    /// also names what is wrong with a bad line).
    static func read(_ line: UnsafeBufferPointer<UInt8>, decoder: JSONDecoder) throws -> TimelineRequestLine {
        if let fast = try? parse(line) { return fast }
        return try decoder.decode(TimelineRequestLine.self, from: Data(buffer: line))
    }

    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> TimelineRequestLine {
        var p = JSONParser(bytes: line)
        var point: Int?
        var record: RequestRecord?
        var type: String?
        try p.enterObject()
        while try p.nextMember() {
            if p.keyIs("point") { point = try p.integer() }
            else if p.keyIs("record") { record = try RequestRecord.parse(&p) }
            else if p.keyIs("type") { type = try p.string() }
            else { throw p.unknownKey() }
        }
        try p.expectEnd()
        guard let point, let record, type == "request" else { throw JSONParseError(offset: p.index, reason: "not a request line") }
        return TimelineRequestLine(point: point, record: record)
    }
}

/// What one line of a timeline file is. A request line as tokenmeter writes it (its sorted keys end in `"type":"request"}`)
/// is told by that ending and left undecoded; the few other lines are decoded to tell them apart.
enum TimelineLine {
    /// A request line; nil when told by its ending and not decoded yet.
    case request(TimelineRequestLine?)
    case header(TimelinePointHeader)
    case end(TimelinePointEnd)
    case conversation(TimelineConversationLine)

    /// Classifies a line; one that is none of the kinds throws the request decoder's error, which names what is wrong.
    static func of(_ line: UnsafeBufferPointer<UInt8>, decoder: JSONDecoder) throws -> TimelineLine {
        if TimelineRequestLine.isRequest(line) { return .request(nil) }
        let bytes = Data(buffer: line)
        if let header = try? decoder.decode(TimelinePointHeader.self, from: bytes), header.type == "point" { return .header(header) }
        if let end = try? decoder.decode(TimelinePointEnd.self, from: bytes), end.type == "point-end" { return .end(end) }
        if let conversation = try? decoder.decode(TimelineConversationLine.self, from: bytes), conversation.type == "conversation" {
            return .conversation(conversation)
        }
        return .request(try decoder.decode(TimelineRequestLine.self, from: bytes))  // keys in another order (not by tokenmeter)
    }
}

extension TimelinePointHeader {
    /// True when the header's own window is final: points written before end lines existed (or by an older tokenmeter) are
    /// complete by it.
    var completesItself: Bool { window.endNanoseconds > window.startNanoseconds }
}

extension TimelinePointEnd {
    /// The smallest id among the measured requests of a point's records, as its end line says it.
    public static func firstMeasuredID(of records: [RequestRecord]) -> Int? {
        records.lazy.filter { $0.phase == .measured }.map(\.id).min()
    }
}

/// One point of a timeline as a merge reads it: header, end and conversations decoded, its request records left where
/// they are (in memory, or a byte range of the file) and read one at a time.
public struct TimelinePointSource: Sendable {
    /// The header, its window the final one (from the end line) when the point is complete.
    public var header: TimelinePointHeader
    /// Conversations in file order.
    public var conversations: [ConversationRecord]
    /// False when the point has no end line.
    public var complete: Bool
    /// The smallest measured request id, from the end line (nil when the file does not say).
    public var firstMeasuredID: Int?
    var records: Records

    enum Records: Sendable {
        case memory([RequestRecord])
        case file(path: String, range: Range<Int>)
    }

    /// A point already in memory.
    public init(_ point: TimelineReader.Point) {
        header = point.header
        conversations = point.conversations
        complete = point.complete
        firstMeasuredID = TimelinePointEnd.firstMeasuredID(of: point.records)
        records = .memory(point.records)
    }

    init(header: TimelinePointHeader, path: String, start: Int) {
        self.header = header
        conversations = []
        complete = false
        records = .file(path: path, range: start..<start)
    }

    /// The smallest measured request id: from the end line, else read from the records.
    public func measuredIDBase() throws -> Int {
        if let firstMeasuredID { return firstMeasuredID }
        var least = Int.max
        try forEachRecord { if $0.phase == .measured { least = min(least, $0.id) } }
        return least == .max ? 0 : least
    }

    /// Calls `body` with each request record of the point, in file order, one at a time.
    public func forEachRecord(_ body: (RequestRecord) throws -> Void) throws {
        switch records {
        case .memory(let all):
            for record in all { try body(record) }
        case .file(let path, let range):
            let decoder = JSONDecoder()
            try FileLines.forEach(path: path, range: range) { line, offset, terminated in
                guard terminated else { return }
                do {
                    // The point's conversations and end line lie in its range too.
                    guard case let .request(decoded) = try TimelineLine.of(line, decoder: decoder) else { return }
                    let request = try decoded ?? TimelineRequestLine.read(line, decoder: decoder)
                    guard request.point == header.point else {
                        throw ConfigError(field: "timeline", message: "a request of point \(request.point) inside point \(header.point)")
                    }
                    try body(request.record)
                } catch {
                    throw ConfigError(field: "timeline", message: "\(path) at byte \(offset): \(error)")
                }
            }
        }
    }

    /// Indexes a timeline file: every point's header, end and conversations, and the bytes its request lines are in — one
    /// pass that decodes no request.
    public static func index(path: String) throws -> [TimelinePointSource] {
        let decoder = JSONDecoder()
        var points: [TimelinePointSource] = []
        try FileLines.forEach(path: path) { line, offset, terminated in
            guard terminated else { return }  // a half-written last line: dropped, as TimelineReader drops it
            do {
                switch try TimelineLine.of(line, decoder: decoder) {
                case .request:
                    // A request line belongs to the point open above it: its bytes reach at least this far.
                    if let last = points.indices.last, case .file(_, let range) = points[last].records {
                        points[last].records = .file(path: path, range: range.lowerBound..<(offset + line.count + 1))
                    }
                case let .header(header):
                    points.append(TimelinePointSource(header: header, path: path, start: offset + line.count + 1))
                case let .end(end):
                    guard let i = points.lastIndex(where: { $0.header.point == end.point }) else { throw ConfigError(field: "timeline", message: "point end before its header") }
                    points[i].header.window = end.window
                    points[i].complete = true
                    points[i].firstMeasuredID = end.firstMeasuredID
                case let .conversation(conversation):
                    guard let i = points.lastIndex(where: { $0.header.point == conversation.point }) else {
                        throw ConfigError(field: "timeline", message: "conversation before its point header")
                    }
                    points[i].conversations.append(conversation.record)
                }
            } catch {
                throw ConfigError(field: "timeline", message: "\(path) at byte \(offset): \(error)")
            }
        }
        for i in points.indices where points[i].header.completesItself { points[i].complete = true }
        return points
    }
}
