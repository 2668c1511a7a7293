import TokenMeterCore
import TokenMeterCost
import TokenMeterResults

extension ReportRun {
    /// A stored run as the report draws it: every point's requests read from `store`, named by its label and id, and
    /// priced with `profile` (the caller picks it: `report` and the dashboard choose differently).
    public static func load(_ run: StoredRun, from store: any RunStore, profile: CostProfile?) async throws -> ReportRun {
        var requests: [Int: [RequestRecord]] = [:]
        for point in run.result.points { requests[point.index] = try await store.requests(runID: run.metadata.id, point: point.index) }
        return ReportRun(id: run.metadata.id, name: run.metadata.label.map { "\($0) (\(run.metadata.id))" } ?? run.metadata.id,
                         result: run.result, status: run.status.rawValue, hardware: run.metadata.hardware, engine: run.metadata.engine,
                         profile: profile, requests: requests)
    }
}
