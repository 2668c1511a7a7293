import Foundation
import Synchronization
import TokenMeterBench
import TokenMeterCore
import TokenMeterReport

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
            + "\(TerminalTable.number(m.outputTokensPerSecond, 1)) out tok/s, TTFT p50 \(TerminalTable.number(m.ttftMs?.p50 ?? 0, 1)) ms"
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
        let line = "[\(index + 1)/\(pointCount)] \(label): \(s.done)\(total) done, \(TerminalTable.number(tokensPerSecond, 0)) tok/s, "
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

/// Signals received since start; the only state the signal handler touches (an atomic add is async-signal-safe).
let interruptSignalCount = Atomic<Int>(0)

/// Turns the first SIGINT or SIGTERM into a cancellation; a second one exits at once with code 130.
///
/// A plain `sigaction` handler counts the signal; a task polls the count every 50 ms and calls back. (libdispatch
/// signal sources on Linux lose signals when a parent started the process with them blocked.)
final class InterruptHandler: Sendable {
    private let poller: Task<Void, Never>
    private let baseline: Int

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        let baseline = interruptSignalCount.load(ordering: .relaxed)
        self.baseline = baseline
        for sig in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                if interruptSignalCount.add(1, ordering: .relaxed).newValue > 1 {
                    let message = "\ninterrupted twice: exiting without waiting\n"
                    _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                    _exit(130)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(sig, &action, nil)
        }
        poller = Task.detached {
            while !Task.isCancelled {
                if interruptSignalCount.load(ordering: .relaxed) > baseline {
                    Terminal.error("\ninterrupt: cancelling in-flight requests and saving what was measured (Ctrl-C again to quit at once)")
                    onInterrupt()
                    return
                }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
    }

    /// True once an interrupt arrived.
    var fired: Bool { interruptSignalCount.load(ordering: .relaxed) > baseline }

    /// Stops listening and gives the signals their default behaviour back.
    func restore() {
        poller.cancel()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
