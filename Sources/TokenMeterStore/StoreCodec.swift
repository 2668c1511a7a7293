import Foundation
import TokenMeterCore
import TokenMeterResults

/// JSON for the stored columns, one encoder configuration for both stores.
enum StoreCodec {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, what: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(type, from: Data(text.utf8)) } catch {
            throw StoreError("the stored \(what) cannot be read (\(error)); it was written by an incompatible tokenmeter")
        }
    }

    /// The stored columns of a run row, decoded into a `StoredRun` once its points are known.
    struct RunRow {
        var metadata: RunMetadata
        var status: String
        var schema: String
        var provenanceJSON: String
        var configJSON: String
        var warningsJSON: String
        var partial: Bool

        func stored(points: [PointResult]) throws -> StoredRun {
            let provenance = try decode(Provenance.self, provenanceJSON, what: "provenance of \(metadata.id)")
            let config = try decode(RunSettings.self, configJSON, what: "configuration of \(metadata.id)")
            let warnings = try decode([String].self, warningsJSON, what: "warnings of \(metadata.id)")
            let status = RunStatus(rawValue: self.status) ?? .running
            let result = RunResult(schema: schema, provenance: provenance, config: config, points: points,
                                   partial: partial || status == .partial, warnings: warnings)
            return StoredRun(metadata: metadata, status: status, result: result)
        }
    }
}
