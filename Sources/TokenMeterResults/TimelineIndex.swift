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
        firstMeasuredID = point.records.filter { $0.phase == .measured }.map(\.id).min()
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
                    let request: TimelineRequestLine
                    if TimelineRequestLine.isRequest(line) {
                        request = try TimelineRequestLine.read(line, decoder: decoder)
                    } else if let other = try? decoder.decode(TimelineRequestLine.self, from: Data(buffer: line)), other.type == "request" {
                        request = other  // written with its keys in another order (not by tokenmeter)
                    } else {
                        return  // the point's conversations and end line
                    }
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
            // A request line belongs to the point open above it: its bytes reach at least this far.
            func extendOpenPoint() {
                if let last = points.indices.last, case .file(_, let range) = points[last].records {
                    points[last].records = .file(path: path, range: range.lowerBound..<(offset + line.count + 1))
                }
            }
            guard !TimelineRequestLine.isRequest(line) else { return extendOpenPoint() }
            let bytes = Data(buffer: line)
            do {
                if let header = try? decoder.decode(TimelinePointHeader.self, from: bytes), header.type == "point" {
                    points.append(TimelinePointSource(header: header, path: path, start: offset + line.count + 1))
                } else if let end = try? decoder.decode(TimelinePointEnd.self, from: bytes), end.type == "point-end" {
                    guard let i = points.lastIndex(where: { $0.header.point == end.point }) else { throw ConfigError(field: "timeline", message: "point end before its header") }
                    points[i].header.window = end.window
                    points[i].complete = true
                    points[i].firstMeasuredID = end.firstMeasuredID
                } else if let request = try? decoder.decode(TimelineRequestLine.self, from: bytes), request.type == "request" {
                    extendOpenPoint()
                } else {
                    let conversation = try decoder.decode(TimelineConversationLine.self, from: bytes)
                    guard let i = points.lastIndex(where: { $0.header.point == conversation.point }) else {
                        throw ConfigError(field: "timeline", message: "conversation before its point header")
                    }
                    points[i].conversations.append(conversation.record)
                }
            } catch {
                throw ConfigError(field: "timeline", message: "\(path) at byte \(offset): \(error)")
            }
        }
        // Points written before the end lines existed are complete by their header's window (as TimelineReader reads them).
        for i in points.indices where !points[i].complete && points[i].header.window.endNanoseconds > points[i].header.window.startNanoseconds {
            points[i].complete = true
        }
        return points
    }
}
