import PropertyBased
import Testing
import TokenMeterHTTP
import TokenMeterTestSupport

/// Generated event streams: the events must not depend on how the bytes were split or which line ends were used.
@Suite struct SSEFramerPropertyTests {
    @Test func sseFramingIgnoresSplitsLineEndsAndComments() async {
        await propertyCheck(count: 300, input: Gen.letterOrNumber.string(of: 0...40).array(of: 1...6), Gen.int(in: 0...2),
                            Gen.int(in: 0...Int.max)) { payloads, endIndex, seed in
            let end = ["\n", "\r\n", "\r"][endIndex]
            var text = ""
            var rng = SeededRandom(seed: UInt64(seed))
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
}
