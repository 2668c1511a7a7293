import Foundation
import Synchronization
import TokenMeterCore

/// A point's requests written to the timeline as they complete, so a run that is killed (`kill -9`, an OOM kill, a lost
/// node) keeps every request that completed more than a flush interval before the kill. Records are buffered and
/// appended by `run` every `intervalMilliseconds` (and by `flush` at the point's end); each append is one write to the
/// file, so the operating system holds it even if the process dies the next instant.
public final class TimelineJournal: Sendable {
    private let files: ResultFiles
    private let point: Int
    private let prepare: @Sendable (RequestRecord) -> RequestRecord
    private let pending = Mutex<[RequestRecord]>([])
    /// Held while a batch is written, so two flushes never interleave their appends.
    private let writing = Mutex<Void>(())

    /// A journal of point `point`; `prepare` finishes each record before it is written (the local tokenizer's count).
    public init(files: ResultFiles, point: Int, prepare: @escaping @Sendable (RequestRecord) -> RequestRecord = { $0 }) {
        self.files = files
        self.point = point
        self.prepare = prepare
    }

    /// Queues a completed request.
    public func append(_ record: RequestRecord) { pending.withLock { $0.append(record) } }

    /// Writes what is queued.
    public func flush() throws {
        try writing.withLock { _ throws in try write() }
    }

    private func write() throws {
        let batch = pending.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued
        }
        guard !batch.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for record in batch {
            data.append(try encoder.encode(TimelineRequestLine(point: point, record: prepare(record))))
            data.append(0x0A)
        }
        try files.append(data)
    }

    /// Flushes every `intervalMilliseconds` until cancelled.
    public func run(intervalMilliseconds: UInt64 = 500) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: intervalMilliseconds * 1_000_000)
            try? flush()
        }
    }
}
