import Testing
import TokenMeterHTTP

@Suite struct SSEFramerTests {
    func frame(_ chunks: [String], max: Int = 1 << 20) -> (events: [String], last: String?, overflow: Bool) {
        var framer = SSEFramer(maxEventBytes: max)
        var events: [SSEEvent] = []
        for c in chunks { framer.feed(Array(c.utf8), into: &events) }
        let last = framer.finish()
        return (events.map(\.text), last?.text, framer.overflowed)
    }

    @Test func severalEventsInOneRead() {
        let r = frame(["data: a\n\ndata: b\n\ndata: [DONE]\n\n"])
        #expect(r.events == ["a", "b", "[DONE]"])
        #expect(r.last == nil)
    }

    @Test func anySplitOfTheStreamGivesTheSameEvents() {
        let stream = "data: {\"x\":1}\r\n\r\n: keep-alive\n\ndata: line1\ndata: line2\r\rdata:nospace\n\nevent: error\ndata: e\n\n"
        let expected = ["{\"x\":1}", "line1\nline2", "nospace", "e"]
        let bytes = Array(stream.utf8)
        for cut in 1..<bytes.count {
            var framer = SSEFramer()
            var events: [SSEEvent] = []
            framer.feed(bytes[..<cut], into: &events)
            framer.feed(bytes[cut...], into: &events)
            #expect(events.map(\.text) == expected, "split at \(cut)")
        }
        // And byte by byte.
        var framer = SSEFramer()
        var events: [SSEEvent] = []
        for b in bytes { framer.feed([b], into: &events) }
        #expect(events.map(\.text) == expected)
        #expect(events.last?.name == "error")
    }

    @Test func commentsAndUnknownFieldsCarryNothing() {
        let r = frame([": ping\n\nid: 7\nretry: 100\n\n"])
        #expect(r.events.isEmpty)
    }

    @Test func finalEventWithoutBlankLineIsReturnedAtFinish() {
        let r = frame(["data: a\n\ndata: tail"])
        #expect(r.events == ["a"])
        #expect(r.last == "tail")
    }

    @Test func oversizedEventIsFlagged() {
        let r = frame(["data: " + String(repeating: "x", count: 100) + "\n\n"], max: 50)
        #expect(r.overflow)
    }
}
