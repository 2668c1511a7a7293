import Foundation
import Hummingbird
import NIOCore
import TokenMeterCore
import TokenMeterCost
import TokenMeterReport
import TokenMeterResults

/// The dashboard's pages and API responses.
struct Pages: Sendable {
    let store: any RunStore
    let pricer: Pricer

    static func response(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type, .cacheControl: "no-store", .init("X-Content-Type-Options")!: "nosniff",
                                           .init("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; img-src data:"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Ids are run ids or prefixes: letters, digits and dashes only, so nothing can name a path or inject markup.
    static func validID(_ id: String?) throws -> String {
        guard let id, !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw HTTPError(.badRequest, message: "run ids are letters, digits and dashes")
        }
        return id
    }

    /// A run from the store, or 404.
    func load(_ id: String) async throws -> StoredRun {
        do { return try await store.resolve(id) } catch let error as StoreError {
            throw HTTPError(.notFound, message: error.message)
        }
    }

    func index() async throws -> Response {
        let runs = try await store.runs()
        let e = HTMLPage.escape
        var body = "<h1>Runs</h1>"
        if runs.isEmpty {
            body += "<p>No runs yet. <code>tokenmeter bench</code> keeps every run here.</p>"
        } else {
            let rows = runs.map { r in
                let id = e(r.metadata.id)
                let cells = ["<input type=\"checkbox\" name=\"ids\" value=\"\(id)\">", "<a href=\"/runs/\(id)\">\(id)</a>"]
                    + [r.metadata.createdAt, r.status.rawValue, r.model, r.metadata.hardware ?? "-", r.metadata.engine ?? "-"].map(e)
                    + [String(r.gpus), String(r.points), e(r.metadata.label ?? ""), Self.downloads(id)]
                return (cells, "class=\"run\"")
            }
            body += "<form action=\"/compare\" method=\"get\">"
                + HTMLPage.table(id: "runs", header: ["", "run", "created", "status", "model", "hardware", "engine", "GPUs", "points", "label", "download"],
                                 rows: rows, leftColumns: 7)
                + "<button type=\"submit\" id=\"compare\">Compare selected</button></form>"
        }
        body += "<p class=\"note\">API: <a href=\"/api/runs\">/api/runs</a>, described by <a href=\"/openapi.json\">/openapi.json</a>.</p>"
        return Self.response(HTMLPage.document(title: "tokenmeter runs", body: body), type: "text/html; charset=utf-8")
    }

    /// The JSON and CSV download links of a run.
    static func downloads(_ id: String) -> String {
        "<a href=\"/api/runs/\(id)?format=json\">JSON</a> <a href=\"/api/runs/\(id)?format=csv\">CSV</a>"
    }

    func run(_ id: String) async throws -> Response {
        try await report([id])
    }

    func compare(_ ids: [String]) async throws -> Response {
        guard !ids.isEmpty else { throw HTTPError(.badRequest, message: "choose runs to compare: /compare?ids=A&ids=B") }
        guard ids.count <= 12 else { throw HTTPError(.badRequest, message: "compare at most 12 runs at once") }
        return try await report(ids)
    }

    /// The HTML report of runs, with links back and downloads.
    func report(_ ids: [String]) async throws -> Response {
        var runs: [ReportRun] = []
        for id in ids { runs.append(try await ReportRun.load(try await load(id), from: store, pricer: pricer)) }
        let e = HTMLPage.escape
        let title = runs.count == 1 ? "Run \(runs[0].id)" : "Comparing \(runs.count) runs"
        let nav = "<nav><a href=\"/\">All runs</a>" + runs.map { " · \(e($0.id)): " + Self.downloads(e($0.id)) }.joined() + "</nav>"
        let body = HTMLReport.body(runs, title: title, generatedAt: ISO8601DateFormatter().string(from: Date()))
        return Self.response(HTMLPage.document(title: title, nav: nav, body: body), type: "text/html; charset=utf-8")
    }

    func apiRuns() async throws -> Response {
        let runs = try await store.runs()
        let json = JSONValue.array(runs.map(\.json))
        return Self.response(json.serialized, type: "application/json")
    }

    func apiRun(_ id: String, format: String) async throws -> Response {
        guard let format = Exporter.Format(rawValue: format) else {
            throw HTTPError(.badRequest, message: "format must be json, csv, inferencex or llmd")
        }
        let run = try await load(id)
        var result = run.result
        result.provenance.runID = result.provenance.runID ?? run.metadata.id
        let text = try Exporter.export(result, format: format, facts: DeploymentFacts(hardware: run.metadata.hardware, framework: run.metadata.engine))
        // llm-d reports of a run with several points are a YAML stream, one report per point.
        let yaml = format == .llmd && result.points.count > 1
        var response = Self.response(text, type: format == .csv ? "text/csv; charset=utf-8" : yaml ? "application/yaml" : "application/json")
        response.headers[.contentDisposition] = "attachment; filename=\"\(run.metadata.id).\(format == .csv ? "csv" : yaml ? "yaml" : "json")\""
        return response
    }
}
