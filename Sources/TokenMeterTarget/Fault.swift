import NIOCore
import NIOHTTP1
import TokenMeterCore
import TokenMeterDialects

/// A fault the reference target can inject into a generation request, on purpose, to test clients.
public enum Fault: String, Sendable, CaseIterable, Codable {
    /// HTTP 429 with `Retry-After`.
    case http429 = "http-429"
    /// HTTP 500.
    case http500 = "http-500"
    /// HTTP 503 with `Retry-After` (an overload).
    case http503 = "http-503"
    /// HTTP 529, Anthropic's overload (`overloaded_error`), without `Retry-After`.
    case http529 = "http-529"
    /// The connection is closed before any response byte.
    case resetBeforeHeaders = "reset-before-headers"
    /// The connection is closed halfway through the stream.
    case resetMidStream = "reset-mid-stream"
    /// A data frame halfway through is not JSON.
    case malformedFrame = "malformed-frame"
    /// The response ends halfway without `[DONE]` or a finish reason.
    case cutWithoutDone = "cut-without-done"
    /// Halfway through, the stream goes silent (longer than any sane read timeout) and stays open.
    case stall
    /// The response head is sent late (`slowHeadersMilliseconds`).
    case slowHeaders = "slow-headers"
    /// A 200 response that is HTML, not an event stream.
    case wrongContentType = "wrong-content-type"
    /// Halfway through, one event larger than clients accept (`oversizedEventBytes`).
    case oversizedEvent = "oversized-event"
    /// Halfway through, an error object inside the 2xx stream.
    case errorMidStream = "error-mid-stream"
    /// The answer streams whole, but its usage claims ten times the output it carried (a server that bills what it did not
    /// deliver).
    case lyingUsage = "lying-usage"
    /// The answer streams whole, but its usage claims a quarter of the output it carried (a server that undercounts).
    case lyingUsageLow = "lying-usage-low"

    /// True for faults that strike after some tokens were streamed.
    var midStream: Bool {
        switch self {
        case .resetMidStream, .malformedFrame, .cutWithoutDone, .stall, .oversizedEvent, .errorMidStream: true
        default: false
        }
    }
}

/// Which faults to inject and how often.
public struct FaultPlan: Sendable, Equatable {
    /// Probability of each fault per request (checked in declaration order; at most one fault per request).
    public var probabilities: [Fault: Double]
    /// Delay of `slow-headers`, ms.
    public var slowHeadersMilliseconds: Int
    /// Size of the `oversized-event` payload, bytes.
    public var oversizedEventBytes: Int

    /// No faults.
    public init(probabilities: [Fault: Double] = [:], slowHeadersMilliseconds: Int = 300, oversizedEventBytes: Int = 9 << 20) {
        self.probabilities = probabilities
        self.slowHeadersMilliseconds = slowHeadersMilliseconds
        self.oversizedEventBytes = oversizedEventBytes
    }

    /// Parses `http-503=0.05,stall=0.01` (a bare name means probability 1).
    public init(parsing text: String) throws(ConfigError) {
        self.init()
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingWhitespace }
            guard let fault = Fault(rawValue: pieces[0]) else {
                throw ConfigError(field: "fault", message: "unknown fault '\(pieces[0])'; known: \(Fault.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let p = pieces.count == 2 ? Double(pieces[1]) : 1
            guard let p, (0...1).contains(p) else {
                throw ConfigError(field: "fault", message: "'\(part)': the probability must be a number from 0 to 1")
            }
            probabilities[fault] = p
        }
    }

    /// Draws the fault (if any) for one request from a uniform number in [0, 1) per fault.
    func draw(_ uniform: () -> Double) -> Fault? {
        for fault in Fault.allCases {
            if let p = probabilities[fault], p > 0, uniform() < p { return fault }
        }
        return nil
    }
}

extension Fault {
    /// Carries out a mid-stream fault on a streamed response's connection, in the stream's dialect.
    func inject(into channel: any Channel, api: APIKind, oversizedEventBytes: Int) {
        let frame: String
        switch self {
        case .resetMidStream:
            channel.close(promise: nil)
            return
        case .cutWithoutDone:
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            return
        case .malformedFrame: frame = "data: {\"choices\": [{\"text\": unquoted\n\n"
        case .errorMidStream: frame = ServerEncoding.errorFrame("engine crashed (injected)", code: 500, api: api)
        case .oversizedEvent: frame = "data: {\"choices\":[{\"text\":\"" + String(repeating: "x", count: oversizedEventBytes) + "\"}]}\n\n"
        default: return  // a stall keeps the connection open and silent until the client gives up
        }
        var buffer = channel.allocator.buffer(capacity: frame.utf8.count)
        buffer.writeString(frame)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
    }
}
