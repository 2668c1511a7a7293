import Foundation
import Synchronization

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
