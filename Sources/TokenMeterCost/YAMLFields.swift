import TokenMeterCore

/// Reads typed fields out of a parsed YAML mapping, naming the field in every error.
struct YAMLFields {
    let map: [String: Any]
    let source: String

    /// Fails on any key not in `known`, suggesting the closest known one.
    func rejectUnknown(_ known: Set<String>) throws(ConfigError) {
        if let key = map.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError.unknownKey(key, known: known, in: source)
        }
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = map[key] else { return nil }
        if let s = value as? String { return s }
        if let i = value as? Int { return String(i) }
        throw ConfigError(field: key, message: "must be text in \(source)")
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let s = try string(key) else { throw ConfigError(field: key, message: "is required in \(source)") }
        return s
    }

    func number(_ key: String, in range: ClosedRange<Double>? = nil, why: String = "") throws(ConfigError) -> Double? {
        guard let value = map[key] else { return nil }
        let number: Double
        if let d = value as? Double { number = d } else if let i = value as? Int { number = Double(i) } else {
            throw ConfigError(field: key, message: "must be a number in \(source)")
        }
        guard number.isFinite else { throw ConfigError(field: key, message: "must be finite in \(source)") }
        if let range, !range.contains(number) {
            throw ConfigError(field: key, message: "\(number) is outside \(range.lowerBound)...\(range.upperBound)\(why) in \(source)")
        }
        return number
    }

    func requiredNumber(_ key: String, in range: ClosedRange<Double>? = nil, why: String = "") throws(ConfigError) -> Double {
        guard let n = try number(key, in: range, why: why) else { throw ConfigError(field: key, message: "is required in \(source)") }
        return n
    }

    func numbers(_ key: String) throws(ConfigError) -> [Double]? {
        guard let value = map[key] else { return nil }
        guard let list = value as? [Any] else { throw ConfigError(field: key, message: "must be a list of numbers in \(source)") }
        var out: [Double] = []
        for item in list {
            if let d = item as? Double { out.append(d) } else if let i = item as? Int { out.append(Double(i)) } else {
                throw ConfigError(field: key, message: "must be a list of numbers in \(source)")
            }
        }
        return out
    }

    func mapping(_ key: String) throws(ConfigError) -> YAMLFields? {
        guard let value = map[key] else { return nil }
        guard let m = value as? [String: Any] else { throw ConfigError(field: key, message: "must be a mapping in \(source)") }
        return YAMLFields(map: m, source: "\(source) \(key)")
    }
}
