import Foundation
import PropertyBased
import Testing
import TokenMeterBench
import TokenMeterCore
@testable import TokenMeterCost
import TokenMeterResults

/// Generated and random inputs for every parser that reads what a server or a user sends: none may crash, and where
/// the input is well formed the result must not depend on how the bytes were split or written.
@Suite struct ParserPropertyTests {
    static let lineEnds = ["\n", "\r\n", "\r"]

    @Test func sseFramingIgnoresSplitsLineEndsAndComments() async {
        await propertyCheck(count: 300, input: Gen.letterOrNumber.string(of: 0...40).array(of: 1...6), Gen.int(in: 0...2),
                            Gen.int(in: 0...Int.max)) { payloads, endIndex, seed in
            let end = Self.lineEnds[endIndex]
            var text = ""
            var rng = SeededGenerator(seed: UInt64(seed))
            for payload in payloads {
                if rng.next() % 3 == 0 { text += ": keep-alive" + end }
                text += "data: " + payload + end + end
            }
            let bytes = Array(text.utf8)
            var framer = SSEFramer()
            var events: [SSEEvent] = []
            var i = 0
            while i < bytes.count {
                let n = Int(rng.next() % 7) + 1
                framer.feed(bytes[i..<min(bytes.count, i + n)], into: &events)
                i += n
            }
            // A lone CR at the very end cannot be told from the start of a CRLF until the stream ends.
            if let last = framer.finish() { events.append(last) }
            #expect(events.map(\.text) == payloads)
        }
    }

    @Test func arbitraryBytesNeverCrashTheFramerOrTheChunkScanner() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...255).array(of: 0...300)) { ints in
            let bytes = ints.map { UInt8($0) }
            var framer = SSEFramer(maxEventBytes: 128)
            var events: [SSEEvent] = []
            framer.feed(bytes, into: &events)
            _ = framer.finish()
            for event in events { _ = try? ChunkScanner.scan(event.data) }
            _ = try? ChunkScanner.scan(bytes)
            _ = try? JSONValue.parse(bytes)
        }
    }

    /// Random JSON values: serialising then parsing gives the value back, and the chunk scanner reads chunk-shaped ones
    /// exactly as the full parser does.
    @Test func jsonRoundTripsAndTheScannerAgreesWithTheParser() {
        var rng = SeededGenerator(seed: 20261129)
        func value(_ depth: Int) -> JSONValue {
            switch rng.next() % (depth > 3 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(rng.next() % 2 == 0)
            case 2: return .number(Double(Int64(bitPattern: rng.next()) % 1_000_000) / (rng.next() % 2 == 0 ? 1 : 8))
            case 3:
                let scalars = (0..<Int(rng.next() % 12)).map { _ in
                    Character(Unicode.Scalar([0x22, 0x5C, 0x0A, 0x01, 0xE9, 0x1F600, 0x41, 0x7A][Int(rng.next() % 8)])!)
                }
                return .string(String(scalars))
            case 4: return .array((0..<Int(rng.next() % 4)).map { _ in value(depth + 1) })
            default: return .object((0..<Int(rng.next() % 4)).map { i in ("k\(i)", value(depth + 1)) })
            }
        }
        for _ in 0..<2000 {
            let v = value(0)
            #expect((try? JSONValue.parse(v.serialized)) == v, "\(v.serialized)")
            let chunk = JSONValue.object([
                ("choices", .array([.object([("text", value(3)), ("delta", .object([("content", value(3)), ("reasoning", value(3))])),
                                             ("finish_reason", value(3))])])),
                ("usage", .object([("prompt_tokens", .number(Double(rng.next() % 100))), ("completion_tokens", value(3))])),
                ("extra", value(1)),
            ])
            let scanned = try? ChunkScanner.scan(Array(chunk.serialized.utf8))
            var expected = ChunkFields()
            let choice = chunk["choices"]?[0]
            expected.content = (choice?["text"]?.stringValue ?? "") + (choice?["delta"]?["content"]?.stringValue ?? "")
            expected.reasoning = choice?["delta"]?["reasoning"]?.stringValue ?? ""
            expected.finishReason = choice?["finish_reason"]?.stringValue
            if let p = chunk["usage"]?["prompt_tokens"]?.intValue, let c = chunk["usage"]?["completion_tokens"]?.intValue {
                expected.usage = Usage(promptTokens: p, completionTokens: c)
            }
            #expect(scanned == expected, "\(chunk.serialized)")
        }
    }

    @Test func configAndProfileLoadersOnlyEverThrowConfigErrors() async {
        let pieces = ["url: ", "concurrency: ", "[1, 2]", "kind: ", "owned", "rental", "usd_per_gpu_hour: ", "-1", "x", "\n", ":", "- ",
                      "{", "}", "'", "\"", "isl: ", "normal:1,2", "power: {kw_per_gpu: 1, boundary: wall}", "  ", "&a", "*a", "!!str"]
        let catalog = try! HardwareCatalog.load(environment: [:])
        await propertyCheck(count: 400, input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...14)) { indices in
            let text = indices.map { pieces[$0] }.joined()
            do { _ = try BenchConfig.parse(yaml: text) } catch {}  // typed throws: a ConfigError or nothing
            do { _ = try CostProfile.parse(yaml: text, catalog: catalog) } catch {}
        }
    }

    @Test func truncatedOrGarbageResultFilesAreNamedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tm-prop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var record = RequestRecord(id: 0, phase: .measured, scheduledNanoseconds: 1, promptTokensPlanned: 2, promptTokensExact: true, maxTokens: 3)
        record.events = [StreamEvent(timeNanoseconds: 5, readIndex: 0, content: "a")]
        let files = try ResultFiles(directory: dir)
        try files.appendTimeline(header: TimelinePointHeader(point: 0, label: "c=1", window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 9), gpus: 1),
                                 records: [record, record])
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
