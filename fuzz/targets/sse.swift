// Fuzz target: the SSE framer (TokenMeterHTTP) on any bytes, fed in one piece and split at every third byte: the same
// events must come out either way, and no event may exceed the limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    var whole = SSEFramer(maxEventBytes: 1 << 12)
    var a: [SSEEvent] = []
    whole.feed(bytes, into: &a)
    if let last = whole.finish() { a.append(last) }
    var split = SSEFramer(maxEventBytes: 1 << 12)
    var b: [SSEEvent] = []
    var i = 0
    while i < bytes.count {
        split.feed(bytes[i..<min(i + 3, bytes.count)], into: &b)
        i += 3
    }
    if let last = split.finish() { b.append(last) }
    precondition(whole.overflowed || a == b, "splitting the input changed the events")
    precondition(a.allSatisfy { $0.data.count <= 1 << 12 }, "an event exceeded the limit")
    return 0
}
