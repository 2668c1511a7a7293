import Foundation
import TokenMeterCore

/// Reads GPU power readings from the CSV a sidecar prints, line by line: `nvidia-smi --query-gpu=timestamp,index,power.draw
/// --format=csv[,noheader][,nounits]` (`2026/11/29 13:00:00.123, 0, 287.45 W`), `amd-smi metric --power --csv` (a header
/// naming `gpu` and `socket_power`, `current_socket_power` or `average_socket_power`), or headerless `timestamp, gpu, watts`
/// or `gpu, watts`. A header sets the columns by name. A reading is placed on the monotonic clock by its timestamp (a pipe
/// may flush many lines at once), else at the line's arrival; `[N/A]` and other non-numbers are skipped.
public struct PowerCSVReader: Sendable {
    private var timeColumn: Int?
    private var gpuColumn: Int?
    private var powerColumn: Int?
    private var hasHeader = false

    /// A reader expecting headerless lines until it sees a header.
    public init() {}

    static let timeNames: Set = ["timestamp", "time"]
    static let gpuNames: Set = ["index", "gpu", "gpu_id", "gpu_index", "uuid"]
    static let powerNames: Set = ["power.draw", "power.draw.instant", "power.draw.average", "socket_power", "current_socket_power",
                                  "average_socket_power", "power", "power_usage"]

    /// The readings on one line (none for a header or a line that is not a reading).
    public mutating func read(_ line: String, arrivalNanoseconds: UInt64, arrivalDate: Date?) -> [PowerSample] {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace.trimmingCharacters(in: ["\""]) }
        guard fields.count >= 2 else { return [] }
        let names = fields.map(Self.columnName)
        if names.contains(where: Self.powerNames.contains) {
            timeColumn = names.firstIndex(where: Self.timeNames.contains)
            gpuColumn = names.firstIndex(where: Self.gpuNames.contains)
            powerColumn = names.firstIndex(where: Self.powerNames.contains)
            hasHeader = true
            return []
        }
        let time: Int?, gpu: Int?, power: Int
        if hasHeader, let p = powerColumn {
            (time, gpu, power) = (timeColumn, gpuColumn, p)
        } else if fields.count >= 3 {
            (time, gpu, power) = (0, 1, 2)
        } else {
            (time, gpu, power) = (nil, 0, 1)
        }
        guard power < fields.count, let watts = Self.watts(fields[power]) else { return [] }
        var at = arrivalNanoseconds
        if let time, time < fields.count, let arrivalDate, let stamped = Self.date(fields[time]) {
            let age = arrivalDate.timeIntervalSince(stamped)
            if age > 0, age < 600 {
                let ageNanoseconds = UInt64(age * 1e9)
                at = arrivalNanoseconds > ageNanoseconds ? arrivalNanoseconds - ageNanoseconds : 0
            }
        }
        let id = gpu.flatMap { $0 < fields.count ? fields[$0] : nil } ?? "0"
        return [PowerSample(timeNanoseconds: at, gpu: id, watts: watts)]
    }

    /// `power.draw [W]` → `power.draw`, `Socket Power (W)` → `socket_power`.
    static func columnName(_ field: String) -> String {
        var name = field.lowercased()
        if let cut = name.firstIndex(where: { $0 == "[" || $0 == "(" }) { name = String(name[..<cut]) }
        return name.trimmingWhitespace.replacingOccurrences(of: " ", with: "_")
    }

    /// `287.45`, `287.45 W`, `287 W`; nil for `[N/A]` and the like.
    static func watts(_ field: String) -> Double? {
        var f = field
        if f.hasSuffix("W") { f = String(f.dropLast()).trimmingWhitespace }
        guard let v = Double(f), v.isFinite, v >= 0 else { return nil }
        return v
    }

    /// nvidia-smi's local `2026/11/29 13:00:00.123`, ISO 8601, or seconds since the epoch.
    static func date(_ field: String) -> Date? {
        if let seconds = Double(field), seconds > 1e9 { return Date(timeIntervalSince1970: seconds) }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: field) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: field) { return d }
        // yyyy/MM/dd HH:mm:ss(.SSS), local time.
        let parts = field.split(whereSeparator: { "/ :".contains($0) })
        guard parts.count == 6, let y = Int(parts[0]), let mo = Int(parts[1]), let d = Int(parts[2]), let h = Int(parts[3]),
              let mi = Int(parts[4]), let s = Double(parts[5]) else { return nil }
        var components = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: Int(s))
        components.nanosecond = Int((s - s.rounded(.down)) * 1e9)
        return Calendar(identifier: .gregorian).date(from: components)
    }
}
