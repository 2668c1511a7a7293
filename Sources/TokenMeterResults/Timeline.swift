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
    /// The smallest id among the point's measured requests: a merge that streams the records maps ids with it before it
    /// has read them (files written before it existed are read once more to find it).
    public var firstMeasuredID: Int?

    /// Creates an end line.
    public init(point: Int, window: MeasurementWindow, firstMeasuredID: Int? = nil) {
        self.point = point
        self.window = window
        self.firstMeasuredID = firstMeasuredID
    }

    enum CodingKeys: String, CodingKey { case type, point, window, firstMeasuredID = "first_measured_id" }
}

/// One request line of a timeline file.
public struct TimelineRequestLine: Codable, Sendable {
    /// Always `request`.
    public var type: String = "request"
    /// Point index.
    public var point: Int
    /// The request's timeline.
    public var record: RequestRecord

    /// Creates a line.
    public init(point: Int, record: RequestRecord) {
        self.point = point
        self.record = record
    }
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

    /// Reads every point; a bad line is an error that names its number.
    public static func read(path: String) throws -> [Point] {
        let decoder = JSONDecoder()
        var points: [Point] = []
        var lineNumber = 0
        try FileLines.forEach(path: path) { line, _, terminated in
            lineNumber += 1
            guard !line.isEmpty else { return }
            do {
                try read(line, into: &points, decoder: decoder)
            } catch where !terminated {
                // A killed run can leave its last line half written: that line is dropped, not an error.
            } catch {
                throw ConfigError(field: "timeline", message: "\(path):\(lineNumber): \(error)")
            }
        }
        // Requests are written as they complete; read back, they are in id order as the run kept them.
        for i in points.indices { points[i].records.sort { $0.id < $1.id } }
        for i in points.indices where points[i].header.completesItself { points[i].complete = true }
        return points
    }

    /// Reads one line into the points read so far.
    static func read(_ line: UnsafeBufferPointer<UInt8>, into points: inout [Point], decoder: JSONDecoder) throws {
        func index(of point: Int, _ what: String) throws -> Int {
            guard let i = points.lastIndex(where: { $0.header.point == point }) else {
                throw ConfigError(field: "timeline", message: "\(what) before its point header")
            }
            return i
        }
        switch try TimelineLine.of(line, decoder: decoder) {
        case let .request(decoded):
            let request = try decoded ?? TimelineRequestLine.read(line, decoder: decoder)
            points[try index(of: request.point, "request")].records.append(request.record)
        case let .header(header):
            points.append(Point(header: header, records: [], complete: false))
        case let .end(end):
            let i = try index(of: end.point, "point end")
            points[i].header.window = end.window
            points[i].complete = true
        case let .conversation(conversation):
            points[try index(of: conversation.point, "conversation")].conversations.append(conversation.record)
        }
    }

    /// Recomputes the metrics of every point exactly as the run did.
    public static func recompute(_ points: [Point]) -> [PointMetrics] {
        points.map {
            PointMetrics.compute(records: $0.records, window: $0.header.window, gpus: $0.header.gpus, objective: $0.header.slo,
                                 offeredRequestsPerSecond: $0.header.offeredRequestsPerSecond)
        }
    }
}
