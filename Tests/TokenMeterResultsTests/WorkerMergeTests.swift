import Foundation
import Testing
import TokenMeterCore
import TokenMeterResults

/// The split of a benchmark over workers and the merge back, on hand-computed cases: shares that add up, id blocks that
/// cover the requests once, clocks put on one time base, and every incompleteness named.
@Suite struct WorkerMergeTests {
    @Test func sharesAddUpAndIdBlocksCoverTheRequestsOnce() throws {
        // 10 connections and 25 requests over 3 workers: 4/3/3 and 9/8/8, ids 0..<9, 9..<17, 17..<25.
        let shares = try (0..<3).map { try WorkerShare(rank: $0, size: 3, totalConcurrency: [10, 3], totalRequests: 25) }
        #expect(shares.map(\.concurrency) == [[4, 1], [3, 1], [3, 1]])
        #expect(shares.map(\.requests) == [9, 8, 8] && shares.map(\.firstRequestID) == [0, 9, 17])
        #expect(throws: ConfigError.self) { try WorkerShare(rank: 0, size: 4, totalConcurrency: [3], totalRequests: 8) }
        #expect(throws: ConfigError.self) { try WorkerShare(rank: 3, size: 3, totalConcurrency: [3], totalRequests: 8) }
    }

    /// A worker with `n` requests, each sent at `base + 10 ms·i` with its first token 5 ms + i ms later, on a clock whose
    /// wall time is its monotonic time plus `offset`.
    static func worker(rank: Int, size: Int, n: Int, firstID: Int, offset: Int64, startAt: UInt64 = 1_000, base: UInt64 = 1_000_000_000) -> WorkerMerge.Worker {
        let share = try! WorkerShare(rank: rank, size: size, totalConcurrency: [size], totalRequests: n * size)
        var records: [RequestRecord] = []
        for i in 0..<n {
            let sent = base + UInt64(i) * 10_000_000
            var r = RequestRecord(id: i, phase: .measured, scheduledNanoseconds: sent, promptTokensPlanned: 8, promptTokensExact: true, maxTokens: 2)
            r.sentNanoseconds = sent
            r.events = [StreamEvent(timeNanoseconds: sent + 5_000_000 + UInt64(i + rank) * 1_000_000, readIndex: 0, content: "a"),
                        StreamEvent(timeNanoseconds: sent + 8_000_000 + UInt64(i + rank) * 1_000_000, readIndex: 1, content: "b")]
            r.completedNanoseconds = sent + 9_000_000 + UInt64(i + rank) * 1_000_000
            records.append(r)
        }
        let window = MeasurementWindow(startNanoseconds: base, endNanoseconds: base + UInt64(n) * 10_000_000)
        let header = WorkerHeader(share: share, host: "n\(rank)", job: nil, startAtRealtimeNanoseconds: startAt, barrierExitRealtimeNanoseconds: 500 + UInt64(rank),
                                  startLagNanoseconds: 100, clockRealtimeNanoseconds: UInt64(Int64(base) + offset), clockMonotonicNanoseconds: base)
        let point = TimelineReader.Point(header: TimelinePointHeader(point: 0, label: "c=1", window: window, gpus: 1), records: records)
        let metrics = PointMetrics.compute(records: records, window: window)
        let result = RunResult(schema: ToolInfo.resultSchema,
                               provenance: Provenance(toolVersion: "t", targetURL: "u", targetKind: "external", model: "m", serverModels: [], host: "n\(rank)",
                                                      gpus: 1, startedAt: "2026-12-06T00:00:00Z", promptLengthSource: "x"),
                               config: RunSettings(), points: [PointResult(index: 0, label: "c=1", concurrency: 1, rate: nil, arrival: nil, maxConcurrency: nil, window: window,
                                                          metrics: metrics, partial: false, stoppedBy: "requests", warnings: [])],
                               partial: false, warnings: [])
        return WorkerMerge.Worker(directory: "rank-\(rank)", header: header, result: result, points: [TimelinePointSource(point)])
    }

    @Test func theMergeIsTheUnionOnOneClock() throws {
        // Rank 1's wall clock is 2 s ahead of its monotonic clock where rank 0's is 1 s ahead: its records move 1 s later.
        let files = try Self.files()
        let merged = try WorkerMerge.merge([Self.worker(rank: 1, size: 2, n: 4, firstID: 4, offset: 2_000_000_000),
                                            Self.worker(rank: 0, size: 2, n: 4, firstID: 0, offset: 1_000_000_000)], into: files)
        #expect(merged.problems.isEmpty, "\(merged.problems)")
        let point = try #require(try TimelineReader.read(path: files.timelineURL.path).first)
        #expect(point.records.map(\.id) == Array(0..<8))
        // Rank 1's first request (global id 4) was sent at 1 s + 1 s on rank 0's clock.
        #expect(point.records[4].sentNanoseconds == 2_000_000_000)
        #expect(point.header.window == MeasurementWindow(startNanoseconds: 1_000_000_000, endNanoseconds: 2_040_000_000))
        // TTFT is a duration: 5 + i + rank ms, for i in 0..<4 and rank 0 and 1 — its exact distribution over the eight.
        let ttft = try #require(merged.result.points[0].metrics.ttftMs)
        let expected = try #require(Distribution([5, 6, 7, 8, 6, 7, 8, 9]))
        #expect(abs(ttft.p50 - expected.p50) < 1e-9 && abs(ttft.p99 - expected.p99) < 1e-9 && abs(ttft.mean - expected.mean) < 1e-9)
        #expect(merged.result.points[0].label == "c=2" && merged.result.points[0].concurrency == 2)
        #expect(merged.startSpreadNanoseconds == 1 && !merged.result.partial)
    }

    /// A fresh folder for a merge's files.
    static func files() throws -> ResultFiles {
        try ResultFiles(directory: FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString)"))
    }

    @Test func everyIncompletenessIsNamedAndMakesTheMergePartial() throws {
        let missing = try WorkerMerge.merge([Self.worker(rank: 0, size: 3, n: 2, firstID: 0, offset: 0), Self.worker(rank: 2, size: 3, n: 2, firstID: 4, offset: 0)],
                                            into: try Self.files())
        #expect(missing.problems.contains("rank 1 of 3 missing") && missing.result.partial)
        let twice = WorkerMerge.check([Self.worker(rank: 0, size: 2, n: 2, firstID: 0, offset: 0), Self.worker(rank: 0, size: 2, n: 2, firstID: 0, offset: 0)])
        #expect(twice.contains("rank 0 appears twice") && twice.contains("rank 1 of 2 missing"))
        let apart = WorkerMerge.check([Self.worker(rank: 0, size: 2, n: 2, firstID: 0, offset: 0, startAt: 1),
                                       Self.worker(rank: 1, size: 2, n: 2, firstID: 2, offset: 0, startAt: 2)])
        #expect(apart == ["the workers did not share one start instant"])
        var cut = Self.worker(rank: 1, size: 2, n: 2, firstID: 2, offset: 0)
        cut.result.partial = true
        #expect(WorkerMerge.check([Self.worker(rank: 0, size: 2, n: 2, firstID: 0, offset: 0), cut]) == ["rank 1 (n1) was cut short"])
    }

    /// Writes a worker's folder as `bench --worker` does; rank 1's timeline is in the older form without the first measured id
    /// on its end line, and one of its lines carries a field this version does not know (read by the fallback decoder).
    static func writeFolder(_ worker: WorkerMerge.Worker, under root: URL) throws -> String {
        let dir = root.appendingPathComponent(worker.directory)
        let files = try ResultFiles(directory: dir)
        try JSONEncoder().encode(worker.header).write(to: dir.appendingPathComponent(WorkerHeader.fileName))
        try files.writeResult(worker.result)
        for source in worker.points {
            var records: [RequestRecord] = []
            try source.forEachRecord { records.append($0) }
            try files.beginPoint(source.header)
            let newer = worker.header.share.rank == 0
            try files.appendRequests(source.header.point, newer ? records : Array(records.dropLast()))
            if !newer, let last = records.last {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                var line = try encoder.encode(TimelineRequestLine(point: source.header.point, record: last))
                line.insert(contentsOf: Array(#""later_field":1,"#.utf8), at: 1)
                try files.append(line + [0x0A])
            }
            try files.endPoint(source.header.point, window: source.header.window, firstMeasuredID: newer ? source.firstMeasuredID : nil)
        }
        return dir.path
    }

    @Test func aMergeFromFilesStreamsTheRecordsAndComputesWhatTheUnionGives() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("merge-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let workers = [Self.worker(rank: 0, size: 2, n: 50, firstID: 0, offset: 1_000_000_000), Self.worker(rank: 1, size: 2, n: 50, firstID: 50, offset: 3_000_000_000)]
        let dirs = try workers.map { try Self.writeFolder($0, under: root) }
        let files = try ResultFiles(directory: root.appendingPathComponent("merged"))
        let merged = try WorkerMerge.merge(try WorkerMerge.load(directories: dirs), into: files)
        #expect(merged.problems.isEmpty, "\(merged.problems)")
        let timeline = try TimelineReader.read(path: files.timelineURL.path)
        let point = try #require(timeline.first)
        #expect(point.records.map(\.id) == Array(0..<100) && point.complete)
        // What one machine computes over the union read back equals what the merge counted as it streamed.
        let union = try #require(TimelineReader.recompute(timeline).first)
        let streamed = merged.result.points[0].metrics
        #expect(streamed.requestsSucceeded == 100 && union.requestsSucceeded == 100)
        for (a, b) in [(streamed.ttftMs, union.ttftMs), (streamed.e2eMs, union.e2eMs), (streamed.chunkGapMs, union.chunkGapMs), (streamed.queueMs, union.queueMs)] {
            let a = try #require(a), b = try #require(b)
            #expect(a.p50 == b.p50 && a.p99 == b.p99 && a.max == b.max && abs(a.mean - b.mean) <= 1e-12 * abs(b.mean))
        }
        #expect(abs(streamed.outputTokensPerSecond - union.outputTokensPerSecond) <= 1e-9 * union.outputTokensPerSecond)
        #expect(streamed.meanConcurrency > 0 && abs(streamed.meanConcurrency - union.meanConcurrency) <= 1e-9 * union.meanConcurrency)
        #expect(streamed.achievedSendRequestsPerSecond == union.achievedSendRequestsPerSecond)
    }
}
