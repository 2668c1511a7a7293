import Foundation
import Testing
import TokenMeterCore
import TokenMeterResults

@Suite struct ResultFilesTests {
    @Test func truncatedOrGarbageResultFilesAreNamedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-prop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 1, promptTokensPlanned: 2, promptTokensExact: true, maxTokens: 3)
        record.events = [StreamEvent(timeNanoseconds: 5, readIndex: 0, content: "a")]
        let files = try ResultFiles(directory: dir)
        let window = MeasurementWindow(startNanoseconds: 0, endNanoseconds: 9)
        try files.beginPoint(TimelinePointHeader(point: 0, label: "c=1", window: window, gpus: 1))
        let journal = TimelineJournal(files: files, point: 0)
        journal.append(record)
        journal.append(record)
        try journal.flush()
        try files.endPoint(0, window: window)
        let full = try Data(contentsOf: files.timelineURL)
        // A process killed mid-write leaves a cut line: reading it is an error that names the line, never a crash.
        for cut in stride(from: 1, to: full.count, by: 7) {
            let path = dir.appendingPathComponent("cut.jsonl")
            try full.prefix(cut).write(to: path)
            do {
                let points = try TimelineReader.read(path: path.path)
                #expect(points.count <= 1)
            } catch let error as ConfigError {
                #expect(error.message.contains("cut.jsonl:"))
            }
        }
        let garbage = dir.appendingPathComponent("result.json")
        try Data([0x7B, 0x22, 0xFF, 0x00]).write(to: garbage)
        #expect(throws: ConfigError.self) { try RunResult.read(path: garbage.path) }
    }
}
