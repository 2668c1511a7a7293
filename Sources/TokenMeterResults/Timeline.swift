import Foundation
import TokenMeterCore

/// The header line of a point in a timeline file: what is needed to recompute its metrics.
public struct TimelinePointHeader: Codable, Sendable, Equatable {
    /// Always `point`.
    public var type: String = "point"
    /// Point index.
    public var point: Int
    /// Point label.
    public var label: String
    /// Measurement window.
    public var window: MeasurementWindow
    /// GPUs for per-GPU figures.
    public var gpus: Int
    /// Objective for goodput.
    public var slo: ServiceLevelObjective?
    /// Offered rate of an open-loop point.
    public var offeredRequestsPerSecond: Double?

    /// Creates a header.
    public init(point: Int, label: String, window: MeasurementWindow, gpus: Int, slo: ServiceLevelObjective? = nil,
                offeredRequestsPerSecond: Double? = nil) {
        self.point = point
        self.label = label
        self.window = window
        self.gpus = gpus
        self.slo = slo
        self.offeredRequestsPerSecond = offeredRequestsPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case type, point, label, window, gpus, slo, offeredRequestsPerSecond = "offered_rate_per_s"
    }
}

/// The line that closes a point in a timeline file: its final window. A point without one was cut off (the process was
/// killed) and is read as incomplete, its window spanning its records.
public struct TimelinePointEnd: Codable, Sendable, Equatable {
    /// Always `point-end`.
    public var type: String = "point-end"
    /// Point index.
    public var point: Int
    /// The final measurement window.
    public var window: MeasurementWindow

    /// Creates an end line.
    public init(point: Int, window: MeasurementWindow) {
        self.point = point
        self.window = window
    }
}

/// One request line of a timeline file.
public struct TimelineRequestLine: Codable, Sendable {
    /// Always `request`.
    public var type: String = "request"
    /// Point index.
    public var point: Int
    /// The request's timeline.
    public var record: RequestRecord
}

/// One conversation line of a timeline file.
public struct TimelineConversationLine: Codable, Sendable {
    /// Always `conversation`.
    public var type: String = "conversation"
    /// Point index.
    public var point: Int
    /// The conversation.
    public var record: ConversationRecord

    /// Creates a line.
    public init(point: Int, record: ConversationRecord) {
        self.point = point
        self.record = record
    }
}

/// Reads a timeline file back into points of records, for recomputing metrics.
public enum TimelineReader {
    /// One point of a timeline: its header and records.
    public struct Point: Sendable {
        /// Header.
        public var header: TimelinePointHeader
        /// Records in file order.
        public var records: [RequestRecord]
        /// Conversations in file order (sessions, tasks).
        public var conversations: [ConversationRecord] = []
        /// False when the point has no end line: the run was cut off while measuring it.
        public var complete = true

        /// Creates a point.
        public init(header: TimelinePointHeader, records: [RequestRecord], conversations: [ConversationRecord] = [], complete: Bool = true) {
            self.header = header
            self.records = records
            self.conversations = conversations
            self.complete = complete
        }
    }

    /// How a request line ends (keys are written sorted, so `type` comes last).
    static let requestSuffix = Array(#""type":"request"}"#.utf8)

    /// Reads every point; a bad line is an error that names its number.
    public static func read(path: String) throws -> [Point] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "timeline", message: "cannot read '\(path)'")
        }
        let decoder = JSONDecoder()
        var points: [Point] = []
        var lineNumber = 0
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() where !line.isEmpty {
            lineNumber = n + 1
            let bytes = Data(line)
            // A killed run can leave its last line half written: that line is dropped, not an error.
            if n == lines.count - 1, data.last != UInt8(ascii: "\n"), (try? JSONSerialization.jsonObject(with: bytes)) == nil { break }
            do {
                // Request lines are nearly all of a timeline: tell them by their last field before trying the other kinds.
                if line.count > 17, line.suffix(17).elementsEqual(Self.requestSuffix) {
                    let request = try decoder.decode(TimelineRequestLine.self, from: bytes)
                    guard let i = points.lastIndex(where: { $0.header.point == request.point }) else {
                        throw ConfigError(field: "timeline", message: "request before its point header")
                    }
                    points[i].records.append(request.record)
                    continue
                }
                if let header = try? decoder.decode(TimelinePointHeader.self, from: bytes), header.type == "point" {
                    points.append(Point(header: header, records: [], complete: false))
                    continue
                }
                if let end = try? decoder.decode(TimelinePointEnd.self, from: bytes), end.type == "point-end" {
                    guard let i = points.lastIndex(where: { $0.header.point == end.point }) else {
                        throw ConfigError(field: "timeline", message: "point end before its header")
                    }
                    points[i].header.window = end.window
                    points[i].complete = true
                    continue
                }
                if let line = try? decoder.decode(TimelineConversationLine.self, from: bytes), line.type == "conversation" {
                    guard let i = points.lastIndex(where: { $0.header.point == line.point }) else {
                        throw ConfigError(field: "timeline", message: "conversation before its point header")
                    }
                    points[i].conversations.append(line.record)
                    continue
                }
                let request = try decoder.decode(TimelineRequestLine.self, from: bytes)
                guard let i = points.lastIndex(where: { $0.header.point == request.point }) else {
                    throw ConfigError(field: "timeline", message: "request before its point header")
                }
                points[i].records.append(request.record)
            } catch {
                throw ConfigError(field: "timeline", message: "\(path):\(lineNumber): \(error)")
            }
        }
        // Requests are written as they complete; read back, they are in id order as the run kept them.
        for i in points.indices { points[i].records.sort { $0.id < $1.id } }
        // Points written before the end lines existed (or by an older tokenmeter) are complete by their header's window.
        for i in points.indices where !points[i].complete && points[i].header.window.endNanoseconds > points[i].header.window.startNanoseconds {
            points[i].complete = true
        }
        return points
    }

    /// Recomputes the metrics of every point exactly as the run did.
    public static func recompute(_ points: [Point]) -> [PointMetrics] {
        points.map {
            PointMetrics.compute(records: $0.records, window: $0.header.window, gpus: $0.header.gpus, objective: $0.header.slo,
                                 offeredRequestsPerSecond: $0.header.offeredRequestsPerSecond)
        }
    }
}
