// Fuzz target: what a user hands `bench` to replay or to play (TokenMeterWorkloads): the six trace readers, the task
// (workload YAML) reader and the dataset reader. The first byte picks the reader; the rest is the file. A reader must
// either return something usable or throw a ConfigError that says what is wrong; it must never trap, hang or run away
// with memory.
import Foundation

// The fuzz binary carries no resources (the presets are not what is fuzzed).
extension Bundle { static var module: Bundle { .main } }

let inputFile = NSTemporaryDirectory() + "tokenmeter-fuzz-workloads-\(getpid())"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let body = Data(bytes[1...])
    let formats = TraceFormat.allCases
    let choice = Int(bytes[0]) % (formats.count + 2)
    if choice == formats.count {
        do {
            _ = try ConversationProgram.load(yaml: String(decoding: body, as: UTF8.self), source: "fuzz.yaml")
        } catch { precondition(!error.message.isEmpty, "a task error without a message") }
        return 0
    }
    FileManager.default.createFile(atPath: inputFile, contents: body)
    if choice == formats.count + 1 {
        _ = try? DatasetReader.read(path: inputFile)
        return 0
    }
    do {
        let trace = try TraceReader.read(path: inputFile, format: formats[choice], window: TraceWindow(maxRequests: 256))
        precondition(trace.requestCount > 0, "a trace without requests was accepted")
    } catch { precondition(!error.message.isEmpty, "a trace error without a message") }
    return 0
}
