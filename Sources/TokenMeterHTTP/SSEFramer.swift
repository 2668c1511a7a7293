/// One server-sent event: its `data` lines joined with newlines, and its `event:` name if any.
public struct SSEEvent: Sendable, Equatable {
    /// The event's data payload.
    public var data: [UInt8]
    /// The `event:` field, when the server named the event.
    public var name: String?

    /// Creates an event.
    public init(data: [UInt8], name: String? = nil) {
        self.data = data
        self.name = name
    }

    /// The payload as text.
    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// Incremental server-sent-events parser: feed it bytes as they arrive in any split, take the complete events.
///
/// Handles LF, CRLF and lone CR line ends (also split across reads), `:` comments, multi-line data,
/// and a last event not followed by a blank line (returned by `finish()`).
public struct SSEFramer: Sendable {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var name: String?
    private var lastWasCR = false
    /// Largest event payload accepted, in bytes; a longer one is reported as malformed.
    public let maxEventBytes: Int
    /// Set when an event exceeded `maxEventBytes`.
    public private(set) var overflowed = false

    /// Creates a framer.
    public init(maxEventBytes: Int = 8 << 20) { self.maxEventBytes = maxEventBytes }

    /// Consumes bytes and appends every event they complete to `events`.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes, into events: inout [SSEEvent]) where Bytes.Element == UInt8 {
        for b in bytes {
            if b == 0x0A {
                if lastWasCR { lastWasCR = false; continue }
                endLine(into: &events)
            } else if b == 0x0D {
                lastWasCR = true
                endLine(into: &events)
            } else {
                lastWasCR = false
                if line.count + data.count < maxEventBytes { line.append(b) } else { overflowed = true }
            }
        }
    }

    /// Ends the stream: returns the pending event if the server closed without a final blank line.
    public mutating func finish() -> SSEEvent? {
        var events: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        if hasData { dispatch(into: &events) }
        return events.first
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // comment / keep-alive
        var field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = []
        }
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            name = String(decoding: value, as: UTF8.self)
        }
        // `id` and `retry` carry nothing a benchmark needs.
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        if hasData { events.append(SSEEvent(data: data, name: name)) }
        data.removeAll(keepingCapacity: true)
        hasData = false
        name = nil
    }
}
