import Foundation
import Synchronization
import TokenMeterCore

/// Merges the workers of one scaled-out benchmark into one run, exactly: every metric is computed over the union of the
/// workers' raw request records, as one machine would have computed it; no percentile is ever averaged. Before anything
/// is merged the workers are checked for completeness: every rank present once, shares that add up to the whole, one
/// start instant, request ids unique. A merge that fails a check is still kept, marked partial, with every problem named.
public enum WorkerMerge {
    /// One worker's files.
    public struct Worker: Sendable {
        public var directory: String
        public var header: WorkerHeader
        public var result: RunResult
        public var points: [TimelinePointSource]

        /// Creates a worker's files as read.
        public init(directory: String, header: WorkerHeader, result: RunResult, points: [TimelinePointSource]) {
            self.directory = directory
            self.header = header
            self.result = result
            self.points = points
        }
    }

    /// The merged run.
    public struct Merged: Sendable {
        /// The run: one point per sweep point, over every worker's requests; partial when a check failed.
        public var result: RunResult
        /// What the completeness checks found; empty when the merge is whole.
        public var problems: [String]
        /// The largest difference between workers' barrier exits (wall clock), ns: how far apart they started.
        public var startSpreadNanoseconds: UInt64?
        /// The largest start lag after the common instant, ns.
        public var maxStartLagNanoseconds: Int64
        /// From the common start instant to the last worker's end (wall clock), s.
        public var measuringSeconds: Double
    }

    /// Reads the workers' folders (each with worker.json, result.json and timeline.jsonl), several at once; of each timeline
    /// only its points' headers, ends and conversations are decoded here (`TimelinePointSource.index`), its records are
    /// read one at a time by the merge.
    public static func load(directories: [String]) throws(ConfigError) -> [Worker] {
        let read = Mutex<[Int: Result<Worker, ConfigError>]>([:])
        DispatchQueue.concurrentPerform(iterations: directories.count) { i in
            let one = Result<Worker, ConfigError> { () throws(ConfigError) -> Worker in try loadWorker(directories[i]) }
            read.withLock { $0[i] = one }
        }
        let all = read.withLock { $0 }
        var workers: [Worker] = []
        for i in directories.indices {
            guard let one = all[i] else { preconditionFailure("worker \(i) not read") }
            workers.append(try one.get())
        }
        return workers
    }

    static func loadWorker(_ dir: String) throws(ConfigError) -> Worker {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let url = URL(fileURLWithPath: dir)
        let headerPath = url.appendingPathComponent(WorkerHeader.fileName).path
        guard let data = FileContents.read(headerPath) else {
            throw ConfigError(field: "merge", message: "'\(dir)' has no \(WorkerHeader.fileName): not a worker's folder (bench --worker writes one)")
        }
        do {
            let header = try decoder.decode(WorkerHeader.self, from: Data(data))
            let result = try RunResult.read(path: url.appendingPathComponent("result.json").path)
            let points = try TimelinePointSource.index(path: url.appendingPathComponent("timeline.jsonl").path)
            return Worker(directory: dir, header: header, result: result, points: points)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(field: "merge", message: "'\(dir)': \(error)")
        }
    }

    /// Every completeness problem, in words; empty when the workers make one whole benchmark.
    public static func check(_ workers: [Worker]) -> [String] {
        guard let first = workers.first else { return ["no workers"] }
        var problems: [String] = []
        let size = first.header.share.size
        if workers.contains(where: { $0.header.share.size != size }) { problems.append("the workers disagree on how many there are") }
        let ranks = workers.map(\.header.share.rank)
        let missing = (0..<size).filter { !ranks.contains($0) }
        if !missing.isEmpty { problems.append("rank\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(size) missing") }
        let doubled = Set(ranks.filter { r in ranks.filter { $0 == r }.count > 1 })
        if !doubled.isEmpty { problems.append("rank \(doubled.sorted().map(String.init).joined(separator: ", ")) appears twice") }
        if Set(workers.map(\.header.startAtRealtimeNanoseconds)).count > 1 { problems.append("the workers did not share one start instant") }
        let totals = first.header.share
        if workers.contains(where: { $0.header.share.totalConcurrency != totals.totalConcurrency || $0.header.share.totalRequests != totals.totalRequests
            || $0.header.share.rates != totals.rates || $0.header.share.totalConversations != totals.totalConversations }) {
            problems.append("the workers were given different benchmarks")
        } else if missing.isEmpty && doubled.isEmpty {
            for (i, c) in totals.totalConcurrency.enumerated() where c > 0 && workers.reduce(0, { $0 + ($1.header.share.concurrency[safe: i] ?? 0) }) != c {
                problems.append("the shares of point \(i) do not add up to concurrency \(c)")
            }
            if let n = totals.totalRequests, workers.reduce(0, { $0 + ($1.header.share.requests ?? 0) }) != n {
                problems.append("the shares do not add up to \(n) requests")
            }
            if let n = totals.totalConversations, workers.reduce(0, { $0 + ($1.header.share.conversations ?? 0) }) != n {
                problems.append("the shares do not add up to \(n) conversations")
            }
        }
        for w in workers where w.result.partial { problems.append("rank \(w.header.share.rank) (\(w.header.host)) was cut short") }
        for w in workers where w.result.points.count != first.result.points.count {
            problems.append("rank \(w.header.share.rank) measured \(w.result.points.count) points where rank \(first.header.share.rank) measured \(first.result.points.count)")
        }
        return problems
    }

    /// Merges workers (checked or not: problems make the result partial), writing the merged timeline (records with global
    /// ids on the first worker's clock) into `files` as it reads the workers' records: memory holds a chunk of each
    /// worker's timeline and the metric state (the latency values percentiles need), not the records.
    public static func merge(_ workers: [Worker], into files: ResultFiles) throws -> Merged {
        var problems = check(workers)
        let sorted = workers.sorted { $0.header.share.rank < $1.header.share.rank }
        guard let base = sorted.first else { preconditionFailure("merge of no workers") }
        var points: [MergedPoint] = []
        for p in 0..<(sorted.map(\.points.count).max() ?? 0) { points.append(try mergePoint(p, sorted, base: base, files: files, problems: &problems)) }
        var result = base.result
        result.points = zip(points.indices, points).map { i, point in
            var merged = sorted.compactMap { $0.result.points[safe: i] }.first ?? base.result.points[0]
            let total = base.header.share.totalConcurrency[safe: i]
            if let rate = base.header.share.rates?[safe: i] {
                merged.rate = rate
                merged.maxConcurrency = total.flatMap { $0 > 0 ? $0 : nil }
            } else if base.header.share.idStride > 1 {
                merged.maxConcurrency = total.flatMap { $0 > 0 ? $0 : nil }
            } else {
                merged.concurrency = total ?? merged.concurrency
            }
            merged.label = point.header.label
            merged.window = point.header.window
            merged.metrics = point.metrics
            merged.partial = sorted.contains { $0.result.points[safe: i]?.partial ?? true }
            merged.warnings = sorted.flatMap { w in (w.result.points[safe: i]?.warnings ?? []).map { "rank \(w.header.share.rank): \($0)" } }
            // Per-worker figures that a union of records does not give (price and tokens are recomputed by whoever prices or
            // reports the run; each worker's server scrape covered its own window and counted only its own requests).
            merged.conversations = point.conversations
            merged.price = nil
            merged.energy = nil
            merged.tokens = nil
            merged.serverMetrics = nil
            return merged
        }
        let exits = sorted.compactMap(\.header.barrierExitRealtimeNanoseconds)
        let spread = exits.isEmpty ? nil : exits.max()! - exits.min()!
        let lag = sorted.map(\.header.startLagNanoseconds).max() ?? 0
        result.provenance.host = sorted.map { "\($0.header.share.rank):\($0.header.host)" }.joined(separator: ", ")
        result.partial = !problems.isEmpty || result.points.contains(where: \.partial)
        result.warnings = problems.map { "merge: \($0)" }
            + ["merged from \(sorted.count) workers (\(sorted.map(\.header.host).joined(separator: ", ")))"
               + (spread.map { "; start spread \(Double($0) / 1e6) ms" } ?? "") + "; largest start lag \(Double(lag) / 1e6) ms"]
            + sorted.flatMap { w in w.result.warnings.map { "rank \(w.header.share.rank): \($0)" } }
        let measuring = sorted.map { Double($0.header.clockRealtimeNanoseconds) - Double($0.header.startAtRealtimeNanoseconds) }.max() ?? 0
        return Merged(result: result, problems: problems, startSpreadNanoseconds: spread, maxStartLagNanoseconds: lag,
                      measuringSeconds: measuring / 1e9)
    }

    /// The whole benchmark's label of a point: `c=12`, or `rate=4/s` (its load, not one worker's share).
    static func label(_ share: WorkerShare, _ index: Int) -> String? {
        if let rate = share.rates?[safe: index] { return "rate=\(rate.formatted(decimals: 2))/s" }
        if share.idStride > 1 { return nil }  // a trace replay: its label does not depend on the share
        return share.totalConcurrency[safe: index].map { "c=\($0)" }
    }

    static func shift(_ t: UInt64, _ delta: Int64) -> UInt64 {
        delta >= 0 ? t &+ UInt64(delta) : (t > UInt64(-delta) ? t - UInt64(-delta) : 0)
    }

    static func shifted(_ r: RequestRecord, by delta: Int64) -> RequestRecord {
        guard delta != 0 else { return r }
        var s = r
        s.scheduledNanoseconds = shift(r.scheduledNanoseconds, delta)
        s.sentNanoseconds = r.sentNanoseconds.map { shift($0, delta) }
        s.responseHeadNanoseconds = r.responseHeadNanoseconds.map { shift($0, delta) }
        s.completedNanoseconds = r.completedNanoseconds.map { shift($0, delta) }
        s.firstSentNanoseconds = r.firstSentNanoseconds.map { shift($0, delta) }
        s.events = r.events.map { var e = $0; e.timeNanoseconds = shift(e.timeNanoseconds, delta); return e }
        return s
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
