import Foundation

/// A file's bytes, for the readers of user files. FoundationEssentials' `FileManager.contents(atPath:)` leaks its 4 KiB
/// read buffer when the file is empty (found by `scripts/fuzz workloads`, Swift 6.3); an empty regular file is answered
/// here without that call. Pipes and other special files (size 0, yet with bytes to read) still go through it.
public enum FileContents {
    /// The bytes, or nil when the file cannot be read.
    public static func read(_ path: String) -> Data? {
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           attributes[.type] as? FileAttributeType == .typeRegular, (attributes[.size] as? NSNumber)?.intValue == 0 {
            return FileManager.default.isReadableFile(atPath: path) ? Data() : nil
        }
        return FileManager.default.contents(atPath: path)
    }
}
