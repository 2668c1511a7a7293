import Foundation
import TokenMeterCore

/// Reads a file's lines a chunk at a time, so that memory holds one chunk (4 MiB) and not the file: a merge streams a
/// million records this way.
enum FileLines {
    static let chunkBytes = 4 << 20

    /// Calls `body` with each line of bytes `range` of the file (without its newline), the file offset it starts at, and
    /// whether a newline ended it (a killed process can leave its last line half written).
    static func forEach(path: String, range: Range<Int>? = nil,
                        _ body: (UnsafeBufferPointer<UInt8>, _ offset: Int, _ terminated: Bool) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigError(field: "timeline", message: "cannot read '\(path)'")
        }
        defer { try? handle.close() }
        var offset = range?.lowerBound ?? 0  // file offset of pending's first byte
        try handle.seek(toOffset: UInt64(offset))
        var remaining = range?.count ?? Int.max
        var pending: [UInt8] = []
        while remaining > 0 {
            guard let chunk = try handle.read(upToCount: min(chunkBytes, remaining)), !chunk.isEmpty else { break }
            remaining -= chunk.count
            pending.append(contentsOf: chunk)
            let consumed = try pending.withUnsafeBufferPointer { buffer -> Int in
                var start = 0
                while start < buffer.count, let newline = firstNewline(buffer, from: start) {
                    try body(UnsafeBufferPointer(rebasing: buffer[start..<newline]), offset + start, true)
                    start = newline + 1
                }
                return start
            }
            pending.removeFirst(consumed)
            offset += consumed
        }
        if !pending.isEmpty { try pending.withUnsafeBufferPointer { try body($0, offset, false) } }
    }

    static func firstNewline(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, let found = memchr(base + start, 0x0A, buffer.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
