import Foundation
import TokenMeterCore

/// Efficiencies fitted for one (hardware, engine, precision) — or for an engine over the rows of every GPU and precision it
/// was measured on — with where they came from and how well they fit.
public struct Calibration: Codable, Sendable, Equatable {
    /// Catalog GPU id the rows were measured on; for an engine-wide fit, every GPU's, joined by `+`.
    public var hardware: String
    /// Its architecture family: the calibration transfers to other GPUs of this family (joined by `+` for an engine-wide fit).
    public var family: String
    /// Engine (`vllm`, `sglang`, `trtllm`, ...).
    public var engine: String
    /// Weight precision; nil for an engine-wide fit, whose rows ran at several (each credited by its measured utilisation).
    public var precision: Precision?
    /// The fitted parameters (provenance `measured`).
    public var efficiency: Efficiency
    /// How far the calibrated model strays from the rows it was fitted on.
    public var band: ErrorBand?
    /// For an engine-wide fit over two GPUs or more: how far it strays on each GPU's rows when fitted without them (leave one
    /// system out) — the band to show on a GPU the fit never saw.
    public var heldOutBand: ErrorBand?
    /// What was fitted: a result file or a CSV, and how many points.
    public var source: String
    /// Points fitted.
    public var points: Int
    /// When (ISO 8601).
    public var fittedAt: String

    /// Creates a record.
    public init(hardware: String, family: String, engine: String, precision: Precision?, efficiency: Efficiency, band: ErrorBand?,
                heldOutBand: ErrorBand? = nil, source: String, points: Int, fittedAt: String) {
        self.hardware = hardware
        self.family = family
        self.engine = engine
        self.precision = precision
        self.efficiency = efficiency
        self.band = band
        self.heldOutBand = heldOutBand
        self.source = source
        self.points = points
        self.fittedAt = fittedAt
    }

    enum CodingKeys: String, CodingKey {
        case hardware, family, engine, precision, efficiency, band = "error_band", heldOutBand = "held_out_error_band", source, points
        case fittedAt = "fitted_at"
    }

    /// The fits tokenmeter ships: one per engine over every row of the Hopper data it was validated on
    /// (`Resources/calibration-hopper.json`, written by `scripts/builtin-calibration`), used where the store has none.
    public static func builtIn() throws(ConfigError) -> [Calibration] {
        guard let url = Bundle.module.url(forResource: "calibration-hopper", withExtension: "json"), let data = try? Data(contentsOf: url),
              let fits = try? JSONDecoder().decode([Calibration].self, from: data)
        else { throw ConfigError(field: "calibration", message: "the built-in calibration is missing or unreadable; reinstall tokenmeter") }
        return fits
    }

    /// Whether this is a fit of one engine over the rows of every GPU and precision it was measured on.
    public var isEngineWide: Bool { precision == nil }

    /// The GPUs an engine-wide fit's rows ran on (the one GPU otherwise).
    public var systems: [String] { hardware.split(separator: "+").map(String.init) }

    /// File name inside the store.
    var fileName: String { precision.map { "\(hardware)-\(engine)-\($0.rawValue).json" } ?? "\(engine)-every-gpu.json" }
}

/// Efficiencies chosen for a prediction, and why.
public struct ChosenEfficiency: Sendable, Equatable {
    /// The parameters.
    public var efficiency: Efficiency
    /// `measured` (fitted on this GPU), `transferred` (fitted on another GPU of its family) or `prior`.
    public var provenance: String
    /// In words, with the source.
    public var description: String
    /// The fit's error band, when there is one.
    public var band: ErrorBand?
    /// Whether the band was measured on GPUs the fit did not see (leave one system out) rather than on the fit's own rows.
    public var bandHeldOut: Bool

    /// Creates a choice.
    public init(efficiency: Efficiency, provenance: String, description: String, band: ErrorBand?, bandHeldOut: Bool = false) {
        self.efficiency = efficiency
        self.provenance = provenance
        self.description = description
        self.band = band
        self.bandHeldOut = bandHeldOut
    }
}

/// Calibration files in a folder: `$TOKENMETER_CALIBRATION_DIR`, else `$XDG_CONFIG_HOME/tokenmeter/calibration`, else
/// `~/.config/tokenmeter/calibration`.
public struct CalibrationStore: Sendable {
    /// The folder.
    public var directory: String

    /// A store at a folder.
    public init(directory: String) {
        self.directory = directory
    }

    /// The store at the documented per-user location.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> CalibrationStore {
        if let dir = environment["TOKENMETER_CALIBRATION_DIR"], !dir.isEmpty { return CalibrationStore(directory: dir) }
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return CalibrationStore(directory: config + "/tokenmeter/calibration")
    }

    /// Writes a calibration (replacing the one for the same hardware, engine and precision) atomically; returns its path.
    @discardableResult
    public func save(_ calibration: Calibration) throws(ConfigError) -> String {
        let path = directory + "/" + calibration.fileName
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(calibration).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ConfigError(field: "calibration", message: "cannot write \(path): \(error.localizedDescription); set TOKENMETER_CALIBRATION_DIR to a writable folder")
        }
        return path
    }

    /// Every calibration in the folder; a file that is not a calibration is an error naming it.
    public func all() throws(ConfigError) -> [Calibration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var out: [Calibration] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            do {
                out.append(try JSONDecoder().decode(Calibration.self, from: data))
            } catch {
                throw ConfigError(field: "calibration", message: "\(path) is not a tokenmeter calibration (\(error)); delete it or fit it again with tokenmeter calibrate")
            }
        }
        return out
    }

    /// The efficiencies for a GPU: fitted on it at this precision (`measured`), else fitted on another GPU — of its family
    /// first, at this precision first — and carried over by the datasheet terms (`transferred`): the coefficients are
    /// dimensionless and per engine, none belongs to one GPU, and precisions are credited by their measured utilisation.
    /// An engine-wide fit (over every GPU and precision of a file) comes after a fit on this GPU or its family at this
    /// precision: `measured` when its rows include this GPU, else `transferred`. Else the `builtIn` fit of the engine (the
    /// one tokenmeter ships), else the stated priors. An engine narrows the choice; without one any engine's fit is used, the
    /// one with most points first.
    public func choose(hardware: HardwareSpec, engine: String?, precision: Precision, builtIn: [Calibration] = []) throws(ConfigError) -> ChosenEfficiency {
        let all = try all().filter { engine == nil || $0.engine == engine }.sorted { $0.points > $1.points }
        let candidates = all.filter { $0.precision == precision }
        func chosen(_ c: Calibration, _ provenance: String, _ description: String) -> ChosenEfficiency {
            var e = c.efficiency
            e.provenance = provenance
            return ChosenEfficiency(efficiency: e, provenance: provenance, description: description, band: c.band)
        }
        if let own = candidates.first(where: { $0.hardware == hardware.id }) {
            return chosen(own, "measured", "measured on \(own.hardware) with \(own.engine) (\(own.points) points from \(own.source), \(own.fittedAt))")
        }
        if let kin = candidates.first(where: { $0.family == hardware.family }) {
            return chosen(kin, "transferred", "transferred from \(kin.hardware) (same \(kin.family) family) with \(kin.engine), \(kin.points) points")
        }
        if let wide = all.first(where: \.isEngineWide) { return engineWide(wide, on: hardware, shipped: false) }
        let nearest = all.sorted { a, b in
            (a.family == hardware.family ? 0 : 1, a.precision == precision ? 0 : 1) < (b.family == hardware.family ? 0 : 1, b.precision == precision ? 0 : 1)
        }
        if let other = nearest.first, let fitted = other.precision {
            return chosen(other, "transferred", "transferred by the datasheet terms from \(other.hardware) (\(other.family)) with \(other.engine) at "
                          + "\(fitted.rawValue), \(other.points) points: the fitted coefficients are per engine, not per GPU")
        }
        if let shipped = builtIn.filter({ engine == nil || $0.engine == engine }).max(by: { $0.points < $1.points }) {
            var choice = engineWide(shipped, on: hardware, shipped: true)
            if engine == nil {
                choice.description += "; no --engine given, so the engine with the most rows (--engine "
                    + builtIn.map(\.engine).sorted().joined(separator: "|") + " for another)"
            }
            return choice
        }
        return ChosenEfficiency(efficiency: .prior, provenance: "prior",
                                description: "stated priors (no calibration for \(hardware.id) or its \(hardware.family) family"
                                    + (engine.map { " with \($0)" } ?? "") + " at \(precision.rawValue))",
                                band: nil)
    }

    /// An engine-wide fit chosen for a GPU: `measured` when its rows include the GPU (with its in-sample band), else
    /// `transferred` by the datasheet terms (with its held-out band when it has one: the error on a GPU the fit did not see).
    func engineWide(_ wide: Calibration, on hardware: HardwareSpec, shipped: Bool) -> ChosenEfficiency {
        let among = wide.systems.contains(hardware.id)
        var e = wide.efficiency
        e.provenance = among ? "measured" : "transferred"
        let description = (shipped ? "built-in fit, " : "") + (among ? "measured on \(wide.hardware)" : "transferred by the datasheet terms from \(wide.hardware)")
            + " with \(wide.engine), one fit over every GPU and precision (\(wide.points) points from \(wide.source), \(wide.fittedAt))"
        let heldOut = among ? nil : wide.heldOutBand
        return ChosenEfficiency(efficiency: e, provenance: e.provenance, description: description, band: heldOut ?? wide.band,
                                bandHeldOut: heldOut != nil)
    }
}
