import PropertyBased
import Testing
import TokenMeterCore
import TokenMeterHTTP
import TokenMeterDialects
import TokenMeterTestSupport

/// Generated and random inputs for the parsers that read what a server sends: none may crash, and where the input is well
/// formed the fast chunk scanner must agree with the full JSON parser.
@Suite struct ParserPropertyTests {
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
        var rng = SeededRandom(seed: 20261129)
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
}
