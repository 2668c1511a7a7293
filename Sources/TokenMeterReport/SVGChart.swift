import Foundation

/// One series of a chart.
public struct ChartSeries: Sendable {
    /// Legend name.
    public var name: String
    /// Points in drawing order.
    public var points: [(x: Double, y: Double)]
    /// Draw markers at the points (else a bare line).
    public var markers: Bool

    /// Creates a series.
    public init(name: String, points: [(x: Double, y: Double)], markers: Bool = true) {
        self.name = name
        self.points = points
        self.markers = markers
    }
}

/// A line chart drawn as inline SVG: axes with ticks and units, grid, legend, and the notes that state its assumptions. No
/// scripts, fonts or images from anywhere: the report must open offline.
public struct SVGChart: Sendable {
    /// Element id (`chart-throughput`).
    public var id: String
    /// Title above the plot.
    public var title: String
    /// X axis label with its unit.
    public var xLabel: String
    /// Y axis label with its unit.
    public var yLabel: String
    /// The series.
    public var series: [ChartSeries]
    /// Lines printed under the plot (assumptions behind the numbers).
    public var notes: [String]
    /// Logarithmic x axis.
    public var logX = false
    /// Logarithmic y axis.
    public var logY = false
    /// Y axis from zero (linear axes).
    public var yFromZero = true

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    static let width = 980.0
    static let plot = (left: 78.0, top: 40.0, width: 520.0, height: 300.0)

    /// Creates a chart.
    public init(id: String, title: String, xLabel: String, yLabel: String, series: [ChartSeries], notes: [String] = [], logX: Bool = false,
                logY: Bool = false, yFromZero: Bool = true) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.notes = notes
        self.logX = logX
        self.logY = logY
        self.yFromZero = yFromZero
    }

    /// Escapes text for XML and HTML.
    public static func escapeXML(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Ticks at 1, 2 or 5 × 10^k covering a range (linear), or at decades (log).
    static func ticks(_ low: Double, _ high: Double, log: Bool) -> [Double] {
        if log {
            var out: [Double] = []
            var d = pow(10, floor(log10(low)))
            while d <= high * 1.0001 {
                if d >= low * 0.9999 { out.append(d) }
                d *= 10
            }
            if out.count < 2 {
                for m in [2.0, 5.0] {
                    var v = pow(10, floor(log10(low))) * m
                    while v <= high { if v >= low { out.append(v) }; v *= 10 }
                }
                out.sort()
            }
            return out
        }
        let span = max(high - low, 1e-12)
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
        var out: [Double] = []
        var v = ceil(low / step) * step
        while v <= high + step * 1e-9 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    static func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if a >= 1e4 { return String(format: "%.3gk", v / 1e3) }
        if a >= 100 || a == 0 { return String(format: "%.0f", v) }
        if a >= 1 { return String(format: "%.3g", v) }
        return String(format: "%.2g", v)
    }

    /// The chart as an SVG element.
    public func render() -> String {
        let p = Self.plot
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0) }
        let noteHeight = Double(Self.wrap(notes).count) * 16 + 10
        let height = p.top + p.height + 56 + noteHeight
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(Self.escapeXML(id))\" class=\"chart\" width=\"\(Int(Self.width))\" "
            + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" role=\"img\" aria-label=\"\(Self.escapeXML(title))\">"
        svg += "<title>\(Self.escapeXML(title))</title>"
        svg += "<text x=\"\(p.left)\" y=\"22\" class=\"chart-title\">\(Self.escapeXML(title))</text>"
        guard !all.isEmpty else {
            svg += "<text x=\"\(p.left)\" y=\"\(p.top + 40)\" class=\"empty\">no data to draw</text>"
            return svg + notesSVG(top: p.top + 60) + "</svg>"
        }
        var xLow = all.map(\.x).min()!, xHigh = all.map(\.x).max()!
        var yLow = all.map(\.y).min()!, yHigh = all.map(\.y).max()!
        if !logY && yFromZero { yLow = min(0, yLow) }
        if xLow == xHigh { xLow = logX ? xLow / 2 : xLow - 1; xHigh = logX ? xHigh * 2 : xHigh + 1 }
        if yLow == yHigh { yLow = logY ? yLow / 2 : yLow - 1; yHigh = logY ? yHigh * 2 : yHigh + 1 }
        if !logY { yHigh += (yHigh - yLow) * 0.05 }
        if logX { xLow = pow(10, floor(log10(xLow) * 10) / 10); xHigh = pow(10, ceil(log10(xHigh) * 10) / 10) }
        if logY { yLow = pow(10, floor(log10(yLow) * 10) / 10); yHigh = pow(10, ceil(log10(yHigh) * 10) / 10) }
        func fx(_ x: Double) -> Double {
            let t = logX ? (log10(x) - log10(xLow)) / (log10(xHigh) - log10(xLow)) : (x - xLow) / (xHigh - xLow)
            return p.left + t * p.width
        }
        func fy(_ y: Double) -> Double {
            let t = logY ? (log10(y) - log10(yLow)) / (log10(yHigh) - log10(yLow)) : (y - yLow) / (yHigh - yLow)
            return p.top + p.height - t * p.height
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        // Grid and ticks.
        svg += "<g class=\"axis x-axis\">"
        for t in Self.ticks(xLow, xHigh, log: logX) {
            svg += "<line x1=\"\(f(fx(t)))\" y1=\"\(p.top)\" x2=\"\(f(fx(t)))\" y2=\"\(p.top + p.height)\" class=\"grid\"/>"
            svg += "<text x=\"\(f(fx(t)))\" y=\"\(p.top + p.height + 16)\" text-anchor=\"middle\" class=\"tick\">\(Self.label(t))</text>"
        }
        svg += "<text x=\"\(f(p.left + p.width / 2))\" y=\"\(p.top + p.height + 38)\" text-anchor=\"middle\" class=\"axis-label\">\(Self.escapeXML(xLabel))</text></g>"
        svg += "<g class=\"axis y-axis\">"
        for t in Self.ticks(yLow, yHigh, log: logY) {
            svg += "<line x1=\"\(p.left)\" y1=\"\(f(fy(t)))\" x2=\"\(p.left + p.width)\" y2=\"\(f(fy(t)))\" class=\"grid\"/>"
            svg += "<text x=\"\(p.left - 6)\" y=\"\(f(fy(t) + 4))\" text-anchor=\"end\" class=\"tick\">\(Self.label(t))</text>"
        }
        svg += "<text transform=\"translate(16 \(f(p.top + p.height / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">\(Self.escapeXML(yLabel))</text></g>"
        svg += "<rect x=\"\(p.left)\" y=\"\(p.top)\" width=\"\(p.width)\" height=\"\(p.height)\" class=\"frame\"/>"
        svg += seriesSVG(fx, fy)
        return svg + notesSVG(top: p.top + p.height + 60) + "</svg>"
    }

    /// Each series as a line (and markers), with its legend entry, in plot coordinates.
    func seriesSVG(_ fx: (Double) -> Double, _ fy: (Double) -> Double) -> String {
        let p = Self.plot
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = ""
        for (i, s) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) && (!logY || $0.y > 0) }
            svg += "<g class=\"series\" data-series=\"\(Self.escapeXML(s.name))\">"
            if pts.count > 1 {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"" + pts.map { "\(f(fx($0.x))),\(f(fy($0.y)))" }.joined(separator: " ") + "\"/>"
            }
            if s.markers || pts.count == 1 {
                for q in pts { svg += "<circle cx=\"\(f(fx(q.x)))\" cy=\"\(f(fy(q.y)))\" r=\"3.5\" fill=\"\(color)\"/>" }
            }
            svg += "</g>"
            let ly = p.top + 8 + Double(i) * 18
            svg += "<g class=\"legend-item\"><rect x=\"\(p.left + p.width + 14)\" y=\"\(f(ly - 9))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(p.left + p.width + 32)\" y=\"\(f(ly + 1))\" class=\"legend\">\(Self.escapeXML(s.name))</text></g>"
        }
        return svg
    }

    func notesSVG(top: Double) -> String {
        Self.wrap(notes).enumerated().map { i, note in
            "<text x=\"\(Self.plot.left - 60)\" y=\"\(String(format: "%.1f", top + Double(i) * 16))\" class=\"assumption\">\(Self.escapeXML(note))</text>"
        }.joined()
    }

    /// Notes broken into lines that fit the chart's width (SVG text does not wrap by itself).
    static func wrap(_ notes: [String], width: Int = 150) -> [String] {
        var lines: [String] = []
        for note in notes {
            var line = ""
            for word in note.split(separator: " ", omittingEmptySubsequences: false) {
                if !line.isEmpty, line.count + word.count + 1 > width {
                    lines.append(line)
                    line = "    " + word
                } else {
                    line += (line.isEmpty ? "" : " ") + word
                }
            }
            if !line.isEmpty { lines.append(line) }
        }
        return lines
    }
}

/// Stacked horizontal bars (one per run) of the parts of a whole, with a legend and notes: the cost iceberg.
public struct SVGStackedBars: Sendable {
    /// Element id.
    public var id: String
    /// Title.
    public var title: String
    /// Axis label with unit.
    public var xLabel: String
    /// One bar per category: its name and its parts (name, value).
    public var bars: [(name: String, parts: [(String, Double)])]
    /// Notes under the chart.
    public var notes: [String]

    /// Creates bars.
    public init(id: String, title: String, xLabel: String, bars: [(name: String, parts: [(String, Double)])], notes: [String]) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.bars = bars
        self.notes = notes
    }

    public func render() -> String {
        let left = 250.0, top = 40.0, width = 330.0, barHeight = 26.0, gap = 12.0
        let partNames = bars.flatMap { $0.parts.map(\.0) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let plotHeight = Double(bars.count) * (barHeight + gap)
        let legendHeight = Double(partNames.count) * 18
        let height = top + max(plotHeight, legendHeight) + 50 + Double(SVGChart.wrap(notes).count) * 16 + 10
        let total = max(bars.map { $0.parts.map(\.1).reduce(0, +) }.max() ?? 1, 1e-9)
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(SVGChart.escapeXML(id))\" class=\"chart\" width=\"\(Int(SVGChart.width))\" "
            + "height=\"\(Int(height))\" viewBox=\"0 0 \(Int(SVGChart.width)) \(Int(height))\" role=\"img\" aria-label=\"\(SVGChart.escapeXML(title))\">"
        svg += "<title>\(SVGChart.escapeXML(title))</title><text x=\"18\" y=\"22\" class=\"chart-title\">\(SVGChart.escapeXML(title))</text>"
        for t in SVGChart.ticks(0, total, log: false) where t <= total * 1.0001 {
            let x = left + t / total * width
            svg += "<line x1=\"\(f(x))\" y1=\"\(top)\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" class=\"grid\"/>"
            svg += "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(SVGChart.label(t))</text>"
        }
        svg += "<text x=\"\(f(left + width / 2))\" y=\"\(f(top + plotHeight + 36))\" text-anchor=\"middle\" class=\"axis-label\">\(SVGChart.escapeXML(xLabel))</text>"
        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * (barHeight + gap)
            svg += "<text x=\"\(left - 8)\" y=\"\(f(y + barHeight / 2 + 4))\" text-anchor=\"end\" class=\"tick\">\(SVGChart.escapeXML(bar.name))</text>"
            var x = left
            for (name, value) in bar.parts where value > 0 {
                let w = value / total * width
                let color = SVGChart.palette[(partNames.firstIndex(of: name) ?? 0) % SVGChart.palette.count]
                svg += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(barHeight)\" fill=\"\(color)\" class=\"part\" "
                    + "data-part=\"\(SVGChart.escapeXML(name))\"><title>\(SVGChart.escapeXML(name)): \(String(format: "%.3f", value))</title></rect>"
                x += w
            }
        }
        for (i, name) in partNames.enumerated() {
            let ly = top + 8 + Double(i) * 18
            svg += "<g class=\"legend-item\"><rect x=\"\(left + width + 14)\" y=\"\(f(ly - 9))\" width=\"12\" height=\"12\" "
                + "fill=\"\(SVGChart.palette[i % SVGChart.palette.count])\"/><text x=\"\(left + width + 32)\" y=\"\(f(ly + 1))\" class=\"legend\">\(SVGChart.escapeXML(name))</text></g>"
        }
        let notesTop = top + max(plotHeight, legendHeight) + 56
        for (i, note) in SVGChart.wrap(notes).enumerated() {
            svg += "<text x=\"18\" y=\"\(f(notesTop + Double(i) * 16))\" class=\"assumption\">\(SVGChart.escapeXML(note))</text>"
        }
        return svg + "</svg>"
    }
}
