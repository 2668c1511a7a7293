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
    let tier: String

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
        let e = SVGChart.escapeXML
        var html = page(title: "tokenmeter runs") + "<h1>Runs</h1>"
        if runs.isEmpty {
            html += "<p>No runs yet. <code>tokenmeter bench</code> keeps every run here.</p>"
        } else {
            html += "<form action=\"/compare\" method=\"get\"><table id=\"runs\"><tr><th></th><th>run</th><th>created</th><th>status</th><th>model</th>"
                + "<th>hardware</th><th>engine</th><th>GPUs</th><th>points</th><th>label</th><th>download</th></tr>"
            for r in runs {
                let id = e(r.metadata.id)
                html += "<tr class=\"run\"><td><input type=\"checkbox\" name=\"ids\" value=\"\(id)\"></td><td><a href=\"/runs/\(id)\">\(id)</a></td>"
                    + "<td>\(e(r.metadata.createdAt))</td><td>\(e(r.status.rawValue))</td><td>\(e(r.model))</td><td>\(e(r.metadata.hardware ?? "-"))</td>"
                    + "<td>\(e(r.metadata.engine ?? "-"))</td><td>\(r.gpus)</td><td>\(r.points)</td><td>\(e(r.metadata.label ?? ""))</td>"
                    + "<td><a href=\"/api/runs/\(id)?format=json\">JSON</a> <a href=\"/api/runs/\(id)?format=csv\">CSV</a></td></tr>"
            }
            html += "</table><button type=\"submit\" id=\"compare\">Compare selected</button></form>"
        }
        html += "<p class=\"note\">API: <a href=\"/api/runs\">/api/runs</a>, described by <a href=\"/openapi.json\">/openapi.json</a>.</p></body></html>"
        return Self.response(html, type: "text/html; charset=utf-8")
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
        let catalog = try HardwareCatalog.load()
        var runs: [ReportRun] = []
        for id in ids {
            let run = try await load(id)
            let profile = try? run.metadata.hardware.map { try CostProfile.tier(tier, gpu: try catalog.gpu($0)) }
            runs.append(try await ReportRun.load(run, from: store, profile: profile ?? nil))
        }
        var html = HTMLReport.render(runs, title: runs.count == 1 ? "Run \(runs[0].id)" : "Comparing \(runs.count) runs",
                                     generatedAt: ISO8601DateFormatter().string(from: Date()))
        let e = SVGChart.escapeXML
        let links = "<nav><a href=\"/\">All runs</a>" + runs.map { " · \(e($0.id)): <a href=\"/api/runs/\(e($0.id))?format=json\">JSON</a> "
            + "<a href=\"/api/runs/\(e($0.id))?format=csv\">CSV</a>" }.joined() + "</nav>"
        if let body = html.range(of: "<body>") { html.insert(contentsOf: links, at: body.upperBound) }
        return Self.response(html, type: "text/html; charset=utf-8")
    }

    func apiRuns() async throws -> Response {
        let runs = try await store.runs()
        let json = JSONValue.array(runs.map(\.json))
        return Self.response(json.serialized, type: "application/json")
    }

    func apiRun(_ id: String, format: String) async throws -> Response {
        guard let format = Exporter.Format(rawValue: format) else {
            throw HTTPError(.badRequest, message: "format must be json, csv or inferencex")
        }
        let run = try await load(id)
        let text = try Exporter.export(run.result, format: format, facts: DeploymentFacts(hardware: run.metadata.hardware, framework: run.metadata.engine))
        var response = Self.response(text, type: format == .csv ? "text/csv; charset=utf-8" : "application/json")
        response.headers[.contentDisposition] = "attachment; filename=\"\(run.metadata.id).\(format == .csv ? "csv" : "json")\""
        return response
    }

    func page(title: String) -> String {
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(SVGChart.escapeXML(title))</title><style>"
            + "body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}"
            + "th,td{border:1px solid #ccc;padding:3px 8px}.note{color:#555;font-size:13px}</style></head><body>"
    }
}
