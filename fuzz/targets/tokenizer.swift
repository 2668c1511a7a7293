// Fuzz target: the Hugging Face tokenizer.json loader (TokenMeterTokenizer). The input is the file; a tokenizer that
// loads must then encode a fixed text and a slice of its own bytes without trapping, and give the same count twice.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let tokenizer = try? HuggingFaceTokenizer(data: bytes, source: "fuzz.json") else { return 0 }
    let text = "Hello, world! Ünïcödé 東京 \t\n 12345 " + String(decoding: bytes.suffix(64), as: UTF8.self)
    let ids = tokenizer.encode(text, addSpecialTokens: true)
    precondition(tokenizer.count(text, addSpecialTokens: true) == ids.count, "the count differs from the encoding")
    return 0
}
