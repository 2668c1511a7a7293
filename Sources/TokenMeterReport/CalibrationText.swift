import TokenMeterModel

/// Calibrations as text: the stored ones, and a fit just made with its errors before and after.
public enum CalibrationText {
    /// The stored calibrations as a table.
    public static func list(_ all: [Calibration]) -> String {
        var rows: [[String]] = [["hardware", "family", "engine", "precision", "points", "memory eff", "compute eff", "fixed ms", "TPOT p90 err", "source"]]
        for c in all {
            rows.append([c.hardware, c.family, c.engine, c.precision?.rawValue ?? "every", String(c.points), Format.percent(c.efficiency.memory),
                         Format.percent(c.efficiency.compute), Format.number(c.efficiency.fixedMilliseconds, 2),
                         c.band.map { "±" + Format.number($0.tpotP90Percent, 0) + "%" } ?? "-", c.source])
        }
        return TerminalTable.align(rows)
    }

    /// A fit: its efficiencies, the MAPE of the priors and of the fit on its points, and where it was saved.
    public static func fitted(_ c: Calibration, prior: ErrorSummary, fitted: ErrorSummary, path: String) -> String {
        var out = ["fitted \(c.points) points of \(c.source) on \(c.hardware) (\(c.family)), \(c.engine), \(c.precision?.rawValue ?? "every precision")"]
        out.append(TerminalTable.align([EfficiencyText.headings, EfficiencyText.cells(c.efficiency)]))
        out.append("MAPE TTFT / TPOT on these points: priors \(Format.number(prior.ttftMAPE, 1))% / \(Format.number(prior.tpotMAPE, 1))%, "
            + "fitted \(Format.number(fitted.ttftMAPE, 1))% / \(Format.number(fitted.tpotMAPE, 1))%")
        if let held = c.heldOutBand {
            out.append("held out (each GPU's rows predicted with a fit on the others): TTFT ±\(Format.number(held.ttftP90Percent, 0))%, "
                + "TPOT ±\(Format.number(held.tpotP90Percent, 0))% (p90) — the band predict shows on a GPU this fit never saw")
        }
        if c.points < 6 { out.append("caution: \(c.points) points fit nine parameters; sweep more concurrencies for a trustworthy fit") }
        out.append(c.isEngineWide
            ? "saved \(path); predict uses it for \(c.engine) on any GPU without a fit of its own or of its family (by the datasheet terms)"
            : "saved \(path); predict uses it on \(c.hardware) and transfers it to other \(c.family) GPUs")
        return out.joined(separator: "\n")
    }
}
