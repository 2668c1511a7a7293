import TokenMeterBench
import TokenMeterResults
import TokenMeterStore

/// Connects a bench session to the run store: the run is created when measuring starts, each point is committed with its
/// requests as soon as it is measured, and the run is marked complete or partial at the end.
struct RunRecorder {
    var store: any RunStore
    var metadata: RunMetadata

    var recorder: BenchSession.Recorder {
        let store = store, metadata = metadata
        return BenchSession.Recorder(
            started: { result in try await store.createRun(metadata, result: result) },
            pointMeasured: { result, point, records in try await store.savePoint(runID: metadata.id, point: point, records: records, result: result) },
            finished: { result in try await store.finishRun(id: metadata.id, status: result.partial ? .partial : .complete, result: result) })
    }
}
