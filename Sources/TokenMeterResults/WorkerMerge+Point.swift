import Foundation
import Synchronization
import TokenMeterCore

extension WorkerMerge {
    /// One merged sweep point: its header (window over every worker, the whole benchmark's label), its metrics over the
    /// union of the records, and its conversations' summary.
    struct MergedPoint {
        var header: TimelinePointHeader
        var metrics: PointMetrics
        var conversations: ConversationSummary?
    }

    /// What one worker's records of a point add up to, gathered on a thread of its own.
    struct Part: Sendable {
        var metrics: PointMetricsAccumulator
        var ids: [Int] = []
        /// The records that belong to a conversation, for its summary (a session or agent run keeps these in memory).
        var conversed: [RequestRecord] = []
    }

    /// One sweep point over every worker, each worker's records read on a thread of its own, given global ids and moved onto
    /// the first worker's clock, counted into the metrics and written to the merged timeline in chunks.
    static func mergePoint(_ index: Int, _ workers: [Worker], base: Worker, files: ResultFiles, problems: inout [String]) throws -> MergedPoint {
        var found: [(worker: Worker, point: TimelinePointSource, delta: Int64)] = []
        for w in workers {
            guard let point = w.points.first(where: { $0.header.point == index }) else {
                problems.append("rank \(w.header.share.rank) has no point \(index) in its timeline")
                continue
            }
            found.append((w, point, w.header.monotonicToRealtime - base.header.monotonicToRealtime))
        }
        let sources = found
        let start = sources.map { shift($0.point.header.window.startNanoseconds, $0.delta) }.min() ?? 0
        let end = sources.map { shift($0.point.header.window.endNanoseconds, $0.delta) }.max() ?? 0
        var header = sources.first?.point.header ?? TimelinePointHeader(point: index, label: "", window: MeasurementWindow(startNanoseconds: 0, endNanoseconds: 0), gpus: 1)
        header.window = MeasurementWindow(startNanoseconds: start, endNanoseconds: end)
        header.label = label(base.header.share, index) ?? header.label
        try files.beginPoint(header)
        let window = header.window, objective = header.slo
        let writing = Mutex(())
        let parts = Mutex<[Int: Result<Part, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: sources.count) { i in
            let (worker, point, delta) = sources[i]
            let part = Result<Part, any Error> {
                let empty = Part(metrics: PointMetricsAccumulator(window: window, objective: objective))
                return try read(point, of: worker.header.share, delta: delta, into: empty) { (lines: [UInt8]) throws in
                    try writing.withLock { (_: inout ()) throws in try files.append(Data(lines)) }
                }
            }
            parts.withLock { $0[i] = part }
        }
        // Each worker's part is taken out and dropped once added, so that no value is held twice for long.
        var gathered = parts.withLock { held in
            defer { held = [:] }
            return held
        }
        var all = Part(metrics: PointMetricsAccumulator(window: window, objective: objective))
        for i in sources.indices {
            guard let part = try gathered.removeValue(forKey: i)?.get() else { preconditionFailure("worker \(i) not merged") }
            all.metrics.absorb(part.metrics)
            all.ids += part.ids
            all.conversed += part.conversed
        }
        all.ids.sort()
        if zip(all.ids, all.ids.dropFirst()).contains(where: { $0 == $1 }) { problems.append("point \(index): request ids are not unique across workers") }
        let conversations = sources.flatMap { source in
            source.point.conversations.map { c in
                var m = c
                m.id = conversationID(c.id, source.worker.header.share)
                m.startNanoseconds = shift(c.startNanoseconds, source.delta)
                m.endNanoseconds = c.endNanoseconds.map { shift($0, source.delta) }
                return m
            }
        }
        try files.endPoint(index, window: window, conversations: conversations, firstMeasuredID: all.ids.first)
        all.conversed.sort { $0.id < $1.id }
        let metrics = all.metrics.metrics(gpus: header.gpus, offeredRequestsPerSecond: header.offeredRequestsPerSecond)
        return MergedPoint(header: header, metrics: metrics,
                           conversations: ConversationSummary.compute(conversations: conversations, records: all.conversed, window: window, gpus: header.gpus))
    }

    /// Reads one worker's measured records of a point into `part`, handing the merged timeline's lines to `write` a chunk
    /// (1 MiB) at a time.
    static func read(_ point: TimelinePointSource, of share: WorkerShare, delta: Int64, into part: Part,
                     write: ([UInt8]) throws -> Void) throws -> Part {
        var part = part
        let firstLocal = try point.measuredIDBase()
        let linePrefix = Array(#"{"point":\#(point.header.point),"record":"#.utf8)
        let lineSuffix = Array(#","type":"request"}"#.utf8) + [0x0A]
        var lines: [UInt8] = []
        lines.reserveCapacity(1 << 20 + 64 << 10)
        try point.forEachRecord { r in
            guard r.phase == .measured else { return }
            var s = shifted(r, by: delta)
            s.id = share.firstRequestID + (r.id - firstLocal) * share.idStride
            s.conversation = r.conversation.map { conversationID($0, share) }
            part.metrics.add(s)
            part.ids.append(s.id)
            if s.conversation != nil { part.conversed.append(s) }
            lines += linePrefix
            s.writeJSON(to: &lines)
            lines += lineSuffix
            if lines.count >= 1 << 20 {
                try write(lines)
                lines.removeAll(keepingCapacity: true)
            }
        }
        if !lines.isEmpty { try write(lines) }
        return part
    }

    /// Conversation k of a worker is global conversation rank + k·size (they are interleaved, like open-loop arrivals).
    static func conversationID(_ local: Int, _ share: WorkerShare) -> Int {
        share.totalConversations == nil ? local : share.rank + local * share.size
    }
}
