import Foundation
import Synchronization
import Testing
import TokenMeterBench
@testable import TokenMeterCLI
import TokenMeterCore
import TokenMeterResults
import TokenMeterTarget

/// A run store that goes away mid-run loses nothing: the results stay in the files, the missed writes are sent again in
/// order once it is back, and the output says what happened.
@Suite struct StoreOutageTests {
    /// A store that refuses writes while `down` says so, and logs the ones it took.
    final class FlakyStore: Sendable {
        let taken = Mutex<[String]>([])
        let attempts = Atomic<Int>(0)
        let down: @Sendable (Int) -> Bool

        init(down: @escaping @Sendable (Int) -> Bool) { self.down = down }

        func write(_ what: String) throws {
            let attempt = attempts.add(1, ordering: .relaxed).newValue
            if down(attempt) { throw StoreError("connection refused (attempt \(attempt))") }
            taken.withLock { $0.append(what) }
        }

        var recorder: BenchSession.Recorder {
            BenchSession.Recorder(started: { _ in try self.write("started") },
                                  pointMeasured: { _, point, records in try self.write("point \(point.index): \(records.count)") },
                                  finished: { result in try self.write("finished \(result.points.count)") })
        }
    }

    func run(_ store: FlakyStore) async throws -> RunResult {
        let target = try await ReferenceTarget.start(TargetConfiguration(timing: quickSteps))
        defer { Task { await target.stop() } }
        let (plan, settings) = try BenchArguments.plan(yaml: "concurrency: [1, 2, 4]\nrequests: 4\nwarmup: 0\nisl: 8\nosl: 4", url: target.baseURL)
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var session = BenchSession(plan: plan, settings: settings, targetKind: BenchSession.referenceKind, outputDirectory: directory)
        session.storeRetryBackoff = [0.01, 0.01]
        return try await session.run(recorder: store.recorder)
    }

    @Test func everyMissedWriteIsSentAgainInOrderOnceTheStoreIsBack() async throws {
        // Attempts 2 and 3 fail: point 0's write, then its retry before point 1's.
        let store = FlakyStore { (2...3).contains($0) }
        let result = try await run(store)
        #expect(store.taken.withLock { $0 } == ["started", "point 0: 4", "point 1: 4", "point 2: 4", "finished 3"])
        #expect(result.warnings.contains { $0.hasPrefix("the run store failed (connection refused (attempt 2))") })
        #expect(result.warnings.contains("the run store came back: every write it missed was sent again and kept"))
    }

    @Test func aStoreThatNeverComesBackLeavesTheRunOnDiskAndSaysHowToKeepIt() async throws {
        let store = FlakyStore { $0 >= 2 }
        let result = try await run(store)
        #expect(store.taken.withLock { $0 } == ["started"])
        #expect(result.points.count == 3)
        #expect(result.warnings.contains { $0.contains("the run store is still unreachable") && $0.contains("tokenmeter runs recover") })
    }
}
