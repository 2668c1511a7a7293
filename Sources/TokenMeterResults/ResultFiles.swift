import Foundation
import TokenMeterCore

/// Writes a run's files as it goes: the timeline is appended as requests complete (see `TimelineJournal`), the result
/// rewritten atomically.
public final class ResultFiles: Sendable {
    /// The folder holding the files.
    public let directory: URL
    /// `result.json`.
    public var resultURL: URL { directory.appendingPathComponent("result.json") }
    /// `timeline.jsonl`.
    public var timelineURL: URL { directory.appendingPathComponent("timeline.jsonl") }

    /// Creates the folder (and parents) if needed and an empty timeline.
    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data().write(to: directory.appendingPathComponent("timeline.jsonl"))
    }

    /// Appends bytes (whole lines) to the timeline.
    public func append(_ data: Data) throws {
        let handle = try FileHandle(forWritingTo: timelineURL)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    /// Starts a point in the timeline: its header (its window is final in the end line), before any of its requests.
    public func beginPoint(_ header: TimelinePointHeader) throws {
        try append(try Self.line(header))
    }

    /// Appends a point's request records at once (a merge writes them this way; a run appends them as they complete).
    public func appendRequests(_ point: Int, _ records: [RequestRecord]) throws {
        var data = Data()
        for record in records { data.append(try Self.line(TimelineRequestLine(point: point, record: record))) }
        try append(data)
    }

    /// Ends a point in the timeline: its conversations and its final window (`TimelinePointEnd`).
    public func endPoint(_ point: Int, window: MeasurementWindow, conversations: [ConversationRecord] = [], firstMeasuredID: Int? = nil) throws {
        var data = Data()
        for conversation in conversations { data.append(try Self.line(TimelineConversationLine(point: point, record: conversation))) }
        data.append(try Self.line(TimelinePointEnd(point: point, window: window, firstMeasuredID: firstMeasuredID)))
        try append(data)
    }

    static func line<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// Writes `result.json` atomically, so a reader never sees half a file.
    public func writeResult(_ result: RunResult) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(result).write(to: resultURL, options: .atomic)
    }
}
