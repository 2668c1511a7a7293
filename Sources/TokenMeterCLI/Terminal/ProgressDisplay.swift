import Foundation
import Synchronization
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport
import TokenMeterResults

/// The live progress line: done/total, tok/s, errors and ETA; a redrawn line on a terminal, plain lines otherwise.
final class ProgressDisplay: Sendable {
    private let counters: ProgressCounters
    private let enabled: Bool
    private let tty: Bool
    private let pointCount: Int
    private let current = Mutex<(index: Int, label: String)?>(nil)

    init(counters: ProgressCounters, enabled: Bool, tty: Bool, pointCount: Int) {
        self.counters = counters
        self.enabled = enabled
        self.tty = tty
        self.pointCount = pointCount
    }

    func pointStarted(index: Int, label: String) {
        current.withLock { $0 = (index, label) }
    }

    func pointFinished(_ point: PointResult) {
        guard enabled else { return }
        let m = point.metrics
        clearLine()
        Terminal.error("[\(point.index + 1)/\(pointCount)] \(point.label): \(m.requestsSucceeded) ok, \(m.requestsFailed) failed, "
            + "\(Format.number(m.outputTokensPerSecond, 1)) out tok/s, TTFT p50 \(Format.number(m.ttftMs?.p50 ?? 0, 1)) ms"
            + (point.partial ? " (partial: \(point.stoppedBy))" : ""))
    }

    func loop() async {
        guard enabled else { return }
        let interval: UInt64 = tty ? 500_000_000 : 5_000_000_000
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: interval)
            if Task.isCancelled { break }
            render()
        }
    }

    func finish() { clearLine() }

    private func render() {
        guard let (index, label) = current.withLock({ $0 }) else { return }
        let s = counters.snapshot
        let tokensPerSecond = s.seconds > 0 ? Double(s.tokens) / s.seconds : 0
        var eta = ""
        if s.planned > 0, s.done > 0, s.done < s.planned {
            eta = ", ETA \(Int((s.seconds / Double(s.done) * Double(s.planned - s.done)).rounded()))s"
        }
        let total = s.planned > 0 ? "/\(s.planned)" : ""
        let line = "[\(index + 1)/\(pointCount)] \(label): \(s.done)\(total) done, \(Format.number(tokensPerSecond, 0)) tok/s, "
            + "\(s.failed) errors\(eta)"
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
        } else {
            Terminal.error(line)
        }
    }

    private func clearLine() {
        if enabled, tty { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
